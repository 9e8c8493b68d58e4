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

/// Record an edge from each of `upstream` to each of `downstream`.
fn edges(upstream: &[TaskRef<'_>], downstream: &[TaskRef<'_>]) {
    for &down in downstream {
        for &up in upstream {
            down.add_upstream(up);
        }
    }
}

impl<'a> Shr<TaskRef<'a>> for TaskRef<'a> {
    type Output = TaskRef<'a>;

    /// `self` runs before `rhs`; evaluates to `rhs`.
    fn shr(self, rhs: TaskRef<'a>) -> TaskRef<'a> {
        edges(&[self], &[rhs]);
        rhs
    }
}

impl<'a, const N: usize> Shr<[TaskRef<'a>; N]> for TaskRef<'a> {
    type Output = [TaskRef<'a>; N];

    /// `self` runs before each of `rhs`; evaluates to `rhs`.
    fn shr(self, rhs: [TaskRef<'a>; N]) -> [TaskRef<'a>; N] {
        edges(&[self], &rhs);
        rhs
    }
}

impl<'a, const N: usize> Shr<TaskRef<'a>> for [TaskRef<'a>; N] {
    type Output = TaskRef<'a>;

    /// Each of `self` runs before `rhs`; evaluates to `rhs`.
    fn shr(self, rhs: TaskRef<'a>) -> TaskRef<'a> {
        edges(&self, &[rhs]);
        rhs
    }
}

impl<'a> Shr<Vec<TaskRef<'a>>> for TaskRef<'a> {
    type Output = Vec<TaskRef<'a>>;

    /// `self` runs before each of `rhs`; evaluates to `rhs`.
    fn shr(self, rhs: Vec<TaskRef<'a>>) -> Vec<TaskRef<'a>> {
        edges(&[self], &rhs);
        rhs
    }
}

impl<'a> Shr<TaskRef<'a>> for Vec<TaskRef<'a>> {
    type Output = TaskRef<'a>;

    /// Each of `self` runs before `rhs`; evaluates to `rhs`.
    fn shr(self, rhs: TaskRef<'a>) -> TaskRef<'a> {
        edges(&self, &[rhs]);
        rhs
    }
}

impl<'a> Shl<TaskRef<'a>> for TaskRef<'a> {
    type Output = TaskRef<'a>;

    /// `rhs` runs before `self`; evaluates to `rhs`.
    fn shl(self, rhs: TaskRef<'a>) -> TaskRef<'a> {
        edges(&[rhs], &[self]);
        rhs
    }
}

impl<'a, const N: usize> Shl<[TaskRef<'a>; N]> for TaskRef<'a> {
    type Output = [TaskRef<'a>; N];

    /// Each of `rhs` runs before `self`; evaluates to `rhs`.
    fn shl(self, rhs: [TaskRef<'a>; N]) -> [TaskRef<'a>; N] {
        edges(&rhs, &[self]);
        rhs
    }
}

impl<'a, const N: usize> Shl<TaskRef<'a>> for [TaskRef<'a>; N] {
    type Output = TaskRef<'a>;

    /// `rhs` runs before each of `self`; evaluates to `rhs`.
    fn shl(self, rhs: TaskRef<'a>) -> TaskRef<'a> {
        edges(&[rhs], &self);
        rhs
    }
}
