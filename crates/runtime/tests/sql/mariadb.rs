//! `weft:dag/sql` on MariaDB (the MySQL dialect): the tests both servers share.

use crate::fixture::my;
use crate::{sessions, statements};

#[test]
fn every_type_round_trips() {
    statements::types_round_trip(&my());
}

#[test]
fn repeated_statements_take_each_runs_types() {
    statements::repeated_statements_take_each_runs_types(&my());
}

#[test]
fn execute_counts_rows_and_open_transactions_roll_back() {
    statements::rows_affected_and_transactions(&my());
}

#[test]
fn row_and_statement_caps_hold() {
    statements::caps(&my());
}

#[test]
fn database_errors_carry_their_sqlstate() {
    statements::errors_carry_their_sqlstate(&my(), "42S02");
}

#[test]
fn a_hundred_thousand_rows_stream_in_batches() {
    sessions::streams(&my());
}

#[test]
fn a_statement_past_its_timeout_is_cancelled() {
    sessions::timeouts_cancel_on_the_server(&my());
}

#[test]
fn session_state_never_reaches_the_next_attempt() {
    sessions::session_state_does_not_leak(&my());
}

#[test]
fn the_password_stays_out_of_the_guest_and_the_log() {
    sessions::password_stays_out(&my());
}

#[test]
fn pools_are_reused_and_never_shared_across_passwords() {
    sessions::pools_are_reused_not_shared(&my());
}
