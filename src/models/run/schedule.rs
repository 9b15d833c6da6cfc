//! The worker threads of a run: each takes the next ready node (earliest in the
//! topological order first), executes it on its own connection, and releases or
//! blocks the nodes waiting on it.

use std::collections::{BinaryHeap, HashMap};
use std::sync::{Condvar, Mutex};

use duckdb::Connection;

use super::node::execute_node;
use super::plan::Invocation;
use super::results::{NodeResult, describe_result, skipped};
use crate::jobs::{CancelToken, Detail, Progress, ProgressSink, Unit};
use crate::models::graph::Graph;

/// The work shared by the worker threads.
pub struct Schedule {
    /// Ready nodes, by position in the topological order (smallest first).
    pub ready: BinaryHeap<std::cmp::Reverse<(usize, String)>>,
    pub waiting_on: HashMap<String, usize>,
    pub dependents: HashMap<String, Vec<String>>,
    pub blocked_by: HashMap<String, String>,
    pub results: Vec<NodeResult>,
    pub remaining: usize,
    pub running: usize,
    pub done: usize,
}

#[allow(clippy::too_many_arguments)]
pub fn worker(
    graph: &Graph,
    conn: Connection,
    invocation: &Invocation,
    shared: &(Mutex<Schedule>, Condvar),
    position: &HashMap<&str, usize>,
    progress: &dyn ProgressSink,
    cancel: &CancelToken,
    total: u64,
    thread: usize,
) {
    let (lock, ready) = shared;
    loop {
        let (id, blocked) = {
            let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if s.remaining == 0 {
                    ready.notify_all();
                    return;
                }
                if let Some(std::cmp::Reverse((_, id))) = s.ready.pop() {
                    s.remaining -= 1;
                    s.running += 1;
                    let blocked = s.blocked_by.get(&id).cloned();
                    break (id, blocked);
                }
                if s.running == 0 {
                    let stuck: Vec<String> = s
                        .waiting_on
                        .iter()
                        .filter(|(_, n)| **n > 0)
                        .map(|(id, n)| format!("{id} ({n})"))
                        .collect();
                    panic!("the model schedule is stuck; waiting: {}", stuck.join(", "));
                }
                s = ready.wait(s).unwrap_or_else(|e| e.into_inner());
            }
        };
        let node = &graph.project.nodes[&id];
        let thread_id = format!("Thread-{thread}");
        let result = match blocked {
            Some(cause) => skipped(
                node,
                &format!("skipped: depends on {cause}, which did not succeed"),
                &thread_id,
            ),
            None if cancel.is_cancelled() => {
                skipped(node, "skipped: the run was cancelled", &thread_id)
            }
            None => execute_node(graph, &conn, node, invocation, &thread_id),
        };
        let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
        s.done += 1;
        s.running -= 1;
        progress.report(
            Progress::new("models", s.done as u64, Some(total), Unit::Steps)
                .with_message(describe_result(node, &result, s.done, total))
                .with_detail(Detail::Node {
                    name: node.name.clone(),
                    status: result.status.name().to_string(),
                }),
        );
        let blocks = result.status.blocks();
        for child in s.dependents.get(&id).cloned().unwrap_or_default() {
            if blocks && !s.blocked_by.contains_key(&child) {
                s.blocked_by.insert(child.clone(), node.name.clone());
            }
            let waiting = s
                .waiting_on
                .get_mut(&child)
                .expect("dependent is scheduled");
            *waiting -= 1;
            if *waiting == 0 {
                let order = position[child.as_str()];
                s.ready.push(std::cmp::Reverse((order, child)));
            }
        }
        s.results.push(result);
        ready.notify_all();
    }
}
