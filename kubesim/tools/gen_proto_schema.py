#!/usr/bin/env python3
"""Writes kubesim/src/proto/schema.txt: the protobuf layout of every kind kubesim serves.

kubectl 1.33 sends typed objects (`kubectl create namespace`, `kubectl create deployment`, …) as
`application/vnd.kubernetes.protobuf`. kubesim decodes them with this table: message layouts (field
tag, type, cardinality) come from the `k8s-pb` crate's prost structs, and each field's JSON name from
`k8s-openapi`'s serde names, so the decoded object is the JSON the apiserver would have stored.

Run it again after a k8s-pb or k8s-openapi upgrade:
    python3 kubesim/tools/gen_proto_schema.py ~/.cargo/registry/src/*/k8s-pb-0.9.0 \
        ~/.cargo/registry/src/*/k8s-openapi-0.29.0 > kubesim/src/proto/schema.txt
"""
import os
import re
import sys

PB, OPENAPI = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))

# JSON names: k8s-openapi's `"podIP" => Field::Key_pod_ip`, per struct (for inlined fields) and overall.
json_names = {}
openapi_fields = {}  # "api.core.v1.Probe" -> {"httpGet", ...}
OPENAPI_ROOT = os.path.join(OPENAPI, "src", "v1_33")
for root, _, files in os.walk(OPENAPI_ROOT):
    for f in files:
        text = open(os.path.join(root, f)).read()
        pairs = re.findall(r'"([^"]+)" => Field::Key_(\w+)', text)
        for js, rust in pairs:
            json_names.setdefault(rust.rstrip("_"), set()).add(js)
        struct = re.search(r"^pub struct (\w+)", text, re.M)
        if struct:
            module = os.path.relpath(root, OPENAPI_ROOT).split(os.sep)
            openapi_fields[".".join(module + [struct.group(1)])] = {js for js, _ in pairs}


def json_name(field):
    field = field.removeprefix("r#")
    names = json_names.get(field)
    if names and len(names) == 1:
        return next(iter(names))
    parts = field.split("_")
    camel = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    if names and camel in names:
        return camel
    if names:
        raise SystemExit(f"ambiguous JSON name for {field}: {sorted(names)}")
    return camel


FIELD = re.compile(r'#\[prost\(([^]]*)\)\]\s*pub (r#\w+|\w+):\s*([^;]*?),\n\s*(?=///|#\[|$)')
STRUCT = re.compile(r"pub struct (\w+) \{\n(.*?)\n\}", re.S)
RESOURCE = re.compile(r'impl crate::Resource for (\w+) \{\s*const API_VERSION: &\'static str = "([^"]+)";.*?const KIND: &\'static str = "([^"]+)";', re.S)

messages = {}  # "apimachinery.pkg.apis.meta.v1.ObjectMeta" -> [(tag, json, kind, card, type)]
kinds = {}  # (apiVersion, kind) -> message
for root, _, files in os.walk(os.path.join(PB, "src")):
    for f in files:
        if f != "mod.rs":
            continue
        rel = os.path.relpath(root, os.path.join(PB, "src"))
        module = rel.split(os.sep)
        text = open(os.path.join(root, f)).read()
        for name, body in STRUCT.findall(text):
            fields = []
            for attrs, fname, ty in FIELD.findall(body + "\n"):
                ty = re.sub(r"\s+", "", ty).replace(",>", ">")
                tag = int(re.search(r'tag = "(\d+)"', attrs).group(1))
                card = "r" if "repeated" in attrs else "o"
                target = ""
                if attrs.startswith("btree_map") or attrs.startswith("map"):
                    k, v = re.search(r'map = "(\w+), (\w+)"', attrs).groups()
                    kind = f"map_{v}"
                    if v == "message":
                        target = ty
                else:
                    kind = attrs.split(",")[0].split(" ")[0]
                    if kind == "message":
                        target = ty
                if target:
                    inner = re.findall(r"((?:super::)*(?:[a-z_0-9]+::)*[A-Z]\w*)>*\s*$", target.strip())[0]
                    segs = inner.split("::")
                    up = segs.count("super")
                    base = module[: len(module) - up] if up else module
                    target = ".".join(base + [s for s in segs if s != "super"])
                fields.append((tag, json_name(fname), kind, card, target))
            if len(fields) != body.count("#[prost("):
                raise SystemExit(f"{name}: read {len(fields)} of {body.count('#[prost(')} fields")
            messages[".".join(module + [name])] = fields
        # Messages without fields (`CustomResourceSubresourceStatus {}`).
        for name in re.findall(r"pub struct (\w+) \{\}", text):
            messages[".".join(module + [name])] = []
        for name, api_version, kind in RESOURCE.findall(text):
            kinds[(api_version, kind)] = ".".join(module + [name])

# Go embeds some structs (`Probe` embeds `ProbeHandler`): their fields sit inline in the JSON. Such a
# field is one whose JSON name the k8s-openapi struct lacks while it has the embedded message's fields.
for m, fields in messages.items():
    known = openapi_fields.get(m)
    if known is None:
        continue
    for i, (tag, js, kind, card, target) in enumerate(fields):
        if kind == "message" and js not in known:
            inner = {f[1] for f in messages.get(target, [])}
            if inner and len(inner & known) >= 0.8 * len(inner):  # k8s-pb may be a version ahead
                fields[i] = (tag, js, kind, "i", target)

# Only what kubesim serves, and what those reach.
served = re.findall(r'r\(\s*"([^"]*)",\s*"([^"]*)",\s*"[^"]*",\s*"[^"]*",\s*"([^"]*)"',
                    open(os.path.join(HERE, "..", "src", "resources.rs")).read())
roots = ["apimachinery.pkg.runtime.Unknown"]
out_kinds = []
for group, version, kind in served:
    api_version = f"{group}/{version}" if group else version
    if (api_version, kind) in kinds:
        roots.append(kinds[(api_version, kind)])
        out_kinds.append((api_version, kind, kinds[(api_version, kind)]))
seen, stack = set(), list(roots)
while stack:
    m = stack.pop()
    if m in seen:
        continue
    if m not in messages:
        raise SystemExit(f"unknown message {m}")
    seen.add(m)
    stack.extend(t for (_, _, _, _, t) in messages[m] if t)

print("# Generated by kubesim/tools/gen_proto_schema.py from k8s-pb and k8s-openapi; do not edit.")
print("# K apiVersion kind message | M message | F tag json kind card(o optional, r repeated, i inline) [message]")
for api_version, kind, m in sorted(out_kinds):
    print(f"K {api_version} {kind} {m}")
for m in sorted(seen):
    print(f"M {m}")
    for tag, js, kind, card, target in messages[m]:
        print(f"F {tag} {js} {kind} {card} {target}".rstrip())
