//! A DAG's structure by index, computed once per component digest, so that planning a run
//! never looks task ids up by name on the hot path.

use std::collections::HashMap;

use weft_model::Dag;

/// Tasks by index (the DAG's topological order) with their edges as indices.
#[derive(Debug)]
pub struct Graph {
    /// Task ids, in topological order.
    pub ids: Vec<String>,
    /// Index of each task id.
    pub index: HashMap<String, usize>,
    /// Direct upstream tasks of each task.
    pub upstream: Vec<Vec<usize>>,
    /// Direct downstream tasks of each task.
    pub downstream: Vec<Vec<usize>>,
    /// Whether each task is a leaf (has no downstream task).
    pub leaf: Vec<bool>,
}

impl Graph {
    /// The graph of a validated DAG.
    pub fn of(dag: &Dag) -> Graph {
        let ids: Vec<String> = dag.tasks().iter().map(|t| t.id.clone()).collect();
        let index: HashMap<String, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        let upstream: Vec<Vec<usize>> = dag
            .tasks()
            .iter()
            .map(|t| {
                t.upstream
                    .iter()
                    .filter_map(|u| index.get(u).copied())
                    .collect()
            })
            .collect();
        let mut downstream = vec![Vec::new(); ids.len()];
        for (i, ups) in upstream.iter().enumerate() {
            for &u in ups {
                downstream[u].push(i);
            }
        }
        let leaf = downstream.iter().map(Vec::is_empty).collect();
        Graph {
            ids,
            index,
            upstream,
            downstream,
            leaf,
        }
    }
}
