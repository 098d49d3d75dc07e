//! Where descriptors come from: files, directories and globs, re-read when they change.

use super::descriptor::{self, MAX_FILE_BYTES};
use super::index::{kind_counts, Catalog};
use app::model::CatalogProblem;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

/// Directories never descended into while looking for descriptors.
const SKIPPED_DIRS: [&str; 4] = ["node_modules", "target", ".git", ".github"];

/// What the files looked like at the last load: path, size, modification time.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// The current catalog and the paths it is read from; swapped whole on each reload.
pub struct CatalogStore {
    paths: Vec<PathBuf>,
    current: RwLock<Arc<Catalog>>,
    fingerprint: Mutex<Fingerprint>,
}

impl CatalogStore {
    /// Reads the catalog from `paths` (files, directories searched for `*.yaml`/`*.yml`, or globs).
    pub fn load(paths: Vec<PathBuf>) -> Self {
        let store = Self {
            paths,
            current: RwLock::new(Arc::new(Catalog::default())),
            fingerprint: Mutex::new(Vec::new()),
        };
        store.reload_if_changed();
        store
    }

    /// The catalog as of the last load.
    pub fn snapshot(&self) -> Arc<Catalog> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Re-reads every file when any was added, removed or changed; true when it reloaded.
    pub fn reload_if_changed(&self) -> bool {
        let (files, mut problems) = discover(&self.paths);
        let fingerprint: Fingerprint = files
            .iter()
            .map(|f| {
                let meta = std::fs::metadata(f).ok();
                (
                    f.clone(),
                    meta.as_ref().map_or(0, |m| m.len()),
                    meta.and_then(|m| m.modified().ok()),
                )
            })
            .collect();
        {
            let mut last = self
                .fingerprint
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if *last == fingerprint && !last.is_empty() {
                return false;
            }
            *last = fingerprint;
        }
        let mut entities = Vec::new();
        for file in &files {
            let name = file.display().to_string();
            match read_text(file) {
                Ok(text) => {
                    let (mut found, mut p) = descriptor::parse_file(&name, &text);
                    entities.append(&mut found);
                    problems.append(&mut p);
                }
                Err(e) => problems.push(descriptor::unreadable(&name, e.to_string())),
            }
        }
        let catalog = Catalog::build(entities, problems);
        tracing::info!(
            files = files.len(),
            entities = catalog.entity_count(),
            services = catalog.services().len(),
            problems = catalog.problems().len(),
            kinds = ?kind_counts(&catalog),
            "catalog loaded"
        );
        for p in catalog.problems() {
            tracing::warn!(file = %p.file, line = p.line, kind = p.kind.id(), "catalog problem: {}", p.message);
        }
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(catalog);
        true
    }

    /// Checks the files every `every` and reloads on change, off the async runtime's threads.
    pub fn spawn_refresh(self: Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let store = self.clone();
                if let Err(e) = tokio::task::spawn_blocking(move || store.reload_if_changed()).await
                {
                    tracing::error!("catalog refresh failed: {e}");
                }
            }
        })
    }
}

/// Why a descriptor file could not be read (a catalog problem names the file).
#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "the file is {0} bytes; descriptor files larger than {MAX_FILE_BYTES} bytes are not read"
    )]
    TooLarge(u64),
    #[error("the file is not valid UTF-8 (first bad byte at offset {0})")]
    NotUtf8(usize),
}

fn read_text(file: &Path) -> Result<String, ReadError> {
    let meta = std::fs::metadata(file)?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let bytes = std::fs::read(file)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}

/// Expands the configured paths into descriptor files, sorted; paths that match nothing are problems.
fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<CatalogProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let text = path.display().to_string();
        if text.contains(['*', '?', '[']) {
            match glob::glob(&text) {
                Ok(matches) => {
                    let before = files.len();
                    files.extend(matches.filter_map(Result::ok).filter(|p| p.is_file()));
                    if files.len() == before {
                        problems.push(descriptor::unreadable(
                            &text,
                            "the catalog glob matches no file",
                        ));
                    }
                }
                Err(e) => problems.push(descriptor::unreadable(
                    &text,
                    format!("invalid catalog glob: {e}"),
                )),
            }
        } else if path.is_dir() {
            walk(path, &mut files);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            problems.push(descriptor::unreadable(
                &text,
                "the catalog path does not exist",
            ));
        }
    }
    files.sort();
    files.dedup();
    (files, problems)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) {
                walk(&path, files);
            }
        } else if kind.is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
            files.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::ProblemKind;

    const SVC: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: NAME}\nspec: {type: service, lifecycle: production, owner: team}\n";

    #[test]
    fn reads_directories_and_reloads_on_change() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(sub.join("catalog-info.yaml"), SVC.replace("NAME", "one"))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("notes.txt"), "not yaml").unwrap_or_else(|e| panic!("{e}"));
        let store = CatalogStore::load(vec![dir.path().to_path_buf()]);
        assert_eq!(store.snapshot().services().len(), 1);
        assert!(!store.reload_if_changed(), "nothing changed");

        std::fs::write(dir.path().join("two.yml"), SVC.replace("NAME", "two"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(store.reload_if_changed());
        let names: Vec<String> = store
            .snapshot()
            .services()
            .iter()
            .map(|s| s.name.clone())
            .collect();
        assert_eq!(names, ["one", "two"]);
    }

    #[test]
    fn unreadable_files_and_missing_paths_are_problems() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("bad.yaml"), [0xff, 0xfe, b'a'])
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("big.yaml"), vec![b'#'; MAX_FILE_BYTES + 1])
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("ok.yaml"), SVC.replace("NAME", "ok"))
            .unwrap_or_else(|e| panic!("{e}"));
        let missing = dir.path().join("missing");
        let glob = dir.path().join("*.json");
        let store = CatalogStore::load(vec![dir.path().to_path_buf(), missing, glob]);
        let snap = store.snapshot();
        assert_eq!(snap.services().len(), 1, "the good file still loads");
        let messages: Vec<String> = snap
            .problems()
            .iter()
            .map(|p| format!("{}: {}", p.file, p.message))
            .collect();
        let unreadable = snap
            .problems()
            .iter()
            .filter(|p| p.kind == ProblemKind::Unreadable)
            .count();
        assert_eq!(unreadable, 4, "{messages:?}");
        assert!(
            messages
                .iter()
                .any(|m| m.contains("bad.yaml: the file is not valid UTF-8")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("big.yaml: the file is") && m.contains("not read")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("missing: the catalog path does not exist")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("*.json: the catalog glob matches no file")),
            "{messages:?}"
        );
    }
}
