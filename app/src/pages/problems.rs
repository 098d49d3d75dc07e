//! `/catalog/problems`: every mistake in the descriptor files, with file and line.

use crate::api::list_problems;
use crate::components::Loading;
use crate::error::page_data;
use leptos::prelude::*;
use leptos_meta::Title;

/// The catalog problems page.
#[component]
pub fn ProblemsPage() -> impl IntoView {
    let problems = crate::codec::resource(|| (), |_| list_problems());
    view! {
        <Title text="Catalog problems"/>
        <h1 class="mb-1 text-2xl font-semibold">"Catalog problems"</h1>
        <p class="mb-4 text-muted">"Descriptors that could not be read as written. Everything else in the catalog still loads."</p>
        <Suspense fallback=Loading>
            {page_data(move || async move {
                problems.await.map(|list| match list {
                    list if list.is_empty() => view! {
                        <p data-testid="no-problems" class="rounded border border-dashed p-8 text-center">"No problems: every descriptor loaded."</p>
                    }.into_any(),
                    list => view! {
                        <div class="overflow-x-auto">
                            <table class="data-table" data-testid="problems-table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Where"</th>
                                        <th scope="col">"Problem"</th>
                                        <th scope="col">"Entity"</th>
                                        <th scope="col">"What is wrong"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|p| view! {
                                        <tr data-testid="problem-row" data-kind=p.kind.id()>
                                            <td class="font-mono text-sm whitespace-nowrap">{format!("{}:{}", p.file, p.line)}</td>
                                            <td><span class="badge bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100">{p.kind.id()}</span></td>
                                            <td class="font-mono text-sm">{p.entity.unwrap_or_default()}</td>
                                            <td>{p.message}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                })
            })}
        </Suspense>
    }
}
