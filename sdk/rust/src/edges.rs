//! The `>>` and `<<` operators between tasks, as in Airflow.
//!
//! `a >> b` records that `a` runs before `b` and evaluates to `b`, so edges chain:
//! `a >> [b, c] >> d`. `b << a` records the same edge and evaluates to `a`. Arrays and vectors
//! of tasks fan out and fan in; there is no list-to-list form (as in Airflow).
//!
//! Rust's `unused_must_use` lint flags an operator whose value is dropped, so an edge statement
//! is written `let _ = a >> b;`.

use std::ops::{Shl, Shr};

use crate::task::TaskRef;

/// Record `upstream >> downstream`.
fn edge(upstream: TaskRef<'_>, downstream: TaskRef<'_>) {
    downstream.add_upstream(upstream);
}

impl<'a> Shr<TaskRef<'a>> for TaskRef<'a> {
    type Output = TaskRef<'a>;

    /// `self` runs before `rhs`; evaluates to `rhs`.
    fn shr(self, rhs: TaskRef<'a>) -> TaskRef<'a> {
        edge(self, rhs);
        rhs
    }
}

impl<'a, const N: usize> Shr<[TaskRef<'a>; N]> for TaskRef<'a> {
    type Output = [TaskRef<'a>; N];

    /// `self` runs before each of `rhs`; evaluates to `rhs`.
    fn shr(self, rhs: [TaskRef<'a>; N]) -> [TaskRef<'a>; N] {
        for downstream in rhs {
            edge(self, downstream);
        }
        rhs
    }
}

impl<'a, const N: usize> Shr<TaskRef<'a>> for [TaskRef<'a>; N] {
    type Output = TaskRef<'a>;

    /// Each of `self` runs before `rhs`; evaluates to `rhs`.
    fn shr(self, rhs: TaskRef<'a>) -> TaskRef<'a> {
        for upstream in self {
            edge(upstream, rhs);
        }
        rhs
    }
}

impl<'a> Shr<Vec<TaskRef<'a>>> for TaskRef<'a> {
    type Output = Vec<TaskRef<'a>>;

    /// `self` runs before each of `rhs`; evaluates to `rhs`.
    fn shr(self, rhs: Vec<TaskRef<'a>>) -> Vec<TaskRef<'a>> {
        for &downstream in &rhs {
            edge(self, downstream);
        }
        rhs
    }
}

impl<'a> Shr<TaskRef<'a>> for Vec<TaskRef<'a>> {
    type Output = TaskRef<'a>;

    /// Each of `self` runs before `rhs`; evaluates to `rhs`.
    fn shr(self, rhs: TaskRef<'a>) -> TaskRef<'a> {
        for upstream in self {
            edge(upstream, rhs);
        }
        rhs
    }
}

impl<'a> Shl<TaskRef<'a>> for TaskRef<'a> {
    type Output = TaskRef<'a>;

    /// `rhs` runs before `self`; evaluates to `rhs`.
    fn shl(self, rhs: TaskRef<'a>) -> TaskRef<'a> {
        edge(rhs, self);
        rhs
    }
}

impl<'a, const N: usize> Shl<[TaskRef<'a>; N]> for TaskRef<'a> {
    type Output = [TaskRef<'a>; N];

    /// Each of `rhs` runs before `self`; evaluates to `rhs`.
    fn shl(self, rhs: [TaskRef<'a>; N]) -> [TaskRef<'a>; N] {
        for upstream in rhs {
            edge(upstream, self);
        }
        rhs
    }
}

impl<'a, const N: usize> Shl<TaskRef<'a>> for [TaskRef<'a>; N] {
    type Output = TaskRef<'a>;

    /// `rhs` runs before each of `self`; evaluates to `rhs`.
    fn shl(self, rhs: TaskRef<'a>) -> TaskRef<'a> {
        for downstream in self {
            edge(rhs, downstream);
        }
        rhs
    }
}
