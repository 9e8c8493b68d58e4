use super::*;
use Readiness::{Run, Skip, UpstreamFailed as UpFailed, Wait};
use TriggerRule as R;

/// Upstream states written one letter each: S success, K skipped, F failed,
/// U upstream_failed, R removed, N none, Q queued, X running, Y up_for_retry.
fn states(code: &str) -> Vec<TaskState> {
    code.chars()
        .map(|c| match c {
            'S' => TaskState::Success,
            'K' => TaskState::Skipped,
            'F' => TaskState::Failed,
            'U' => TaskState::UpstreamFailed,
            'R' => TaskState::Removed,
            'N' => TaskState::None,
            'Q' => TaskState::Queued,
            'X' => TaskState::Running,
            'Y' => TaskState::UpForRetry,
            other => panic!("bad state letter {other}"),
        })
        .collect()
}

fn eval(rule: TriggerRule, code: &str) -> Readiness {
    evaluate(rule, &UpstreamSummary::from_states(states(code)))
}

#[test]
fn every_rule_matches_airflow() {
    let cases: &[(TriggerRule, &str, Readiness)] = &[
        (R::AllSuccess, "SS", Run),
        (R::AllSuccess, "SN", Wait),
        (R::AllSuccess, "SY", Wait),
        (R::AllSuccess, "SF", UpFailed),
        (R::AllSuccess, "NF", UpFailed),
        (R::AllSuccess, "XU", UpFailed),
        (R::AllSuccess, "NK", Skip),
        (R::AllSuccess, "FK", UpFailed),
        (R::AllSuccess, "SR", Wait),
        (R::AllFailed, "FF", Run),
        (R::AllFailed, "FU", Run),
        (R::AllFailed, "UU", Run),
        (R::AllFailed, "FN", Wait),
        (R::AllFailed, "FS", Skip),
        (R::AllFailed, "NK", Skip),
        (R::AllFailed, "FR", Wait),
        (R::AllDone, "SFKUR", Run),
        (R::AllDone, "F", Run),
        (R::AllDone, "SQ", Wait),
        (R::AllDone, "N", Wait),
        (R::OneSuccess, "SN", Run),
        (R::OneSuccess, "KS", Run),
        (R::OneSuccess, "NN", Wait),
        (R::OneSuccess, "FN", Wait),
        (R::OneSuccess, "KK", Skip),
        (R::OneSuccess, "FK", UpFailed),
        (R::OneSuccess, "FF", UpFailed),
        (R::OneSuccess, "RR", UpFailed),
        (R::OneFailed, "FN", Run),
        (R::OneFailed, "UX", Run),
        (R::OneFailed, "SF", Run),
        (R::OneFailed, "SN", Wait),
        (R::OneFailed, "SK", Skip),
        (R::OneFailed, "SS", Skip),
        (R::OneDone, "SN", Run),
        (R::OneDone, "FN", Run),
        (R::OneDone, "UF", Run),
        (R::OneDone, "UN", Wait),
        (R::OneDone, "KN", Wait),
        (R::OneDone, "UK", Skip),
        (R::OneDone, "KK", Skip),
        (R::NoneFailed, "SK", Run),
        (R::NoneFailed, "KK", Run),
        (R::NoneFailed, "SN", Wait),
        (R::NoneFailed, "NF", UpFailed),
        (R::NoneFailed, "NU", UpFailed),
        (R::NoneFailed, "SR", Wait),
        (R::NoneFailedMinOneSuccess, "SK", Run),
        (R::NoneFailedMinOneSuccess, "SS", Run),
        (R::NoneFailedMinOneSuccess, "KK", Skip),
        (R::NoneFailedMinOneSuccess, "KN", Wait),
        (R::NoneFailedMinOneSuccess, "NF", UpFailed),
        (R::NoneFailedMinOneSuccess, "KU", UpFailed),
        (R::NoneSkipped, "SF", Run),
        (R::NoneSkipped, "SU", Run),
        (R::NoneSkipped, "SR", Run),
        (R::NoneSkipped, "SN", Wait),
        (R::NoneSkipped, "NK", Skip),
        (R::Always, "NN", Run),
        (R::Always, "FF", Run),
        (R::Always, "KX", Run),
        (R::AllSkipped, "KK", Run),
        (R::AllSkipped, "KN", Wait),
        (R::AllSkipped, "KS", Skip),
        (R::AllSkipped, "NF", Skip),
        (R::AllSkipped, "KU", Skip),
        (R::AllSkipped, "KR", Wait),
    ];
    let mut failures = Vec::new();
    for &(rule, code, want) in cases {
        let got = eval(rule, code);
        if got != want {
            failures.push(format!("{rule} with [{code}]: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every rule is covered by the table.
    for rule in TriggerRule::ALL {
        assert!(cases.iter().any(|c| c.0 == *rule), "no case for {rule}");
    }
}

#[test]
fn no_upstream_always_runs() {
    for &rule in TriggerRule::ALL {
        assert_eq!(evaluate(rule, &UpstreamSummary::default()), Run, "{rule}");
    }
}

#[test]
fn finished_upstreams_always_give_a_verdict() {
    // With every upstream finished (and none removed), no rule keeps waiting.
    let letters = ['S', 'K', 'F', 'U'];
    for &rule in TriggerRule::ALL {
        for a in letters {
            for b in letters {
                for c in letters {
                    let code: String = [a, b, c].iter().collect();
                    assert_ne!(eval(rule, &code), Wait, "{rule} with [{code}]");
                }
            }
        }
    }
}

#[test]
fn unfinished_upstreams_never_give_a_verdict_for_waiting_rules() {
    // all_done and none_skipped without skips must wait for every upstream.
    for code in ["SN", "FQ", "UX", "SY"] {
        assert_eq!(eval(R::AllDone, code), Wait, "{code}");
        assert_eq!(eval(R::NoneSkipped, code), Wait, "{code}");
    }
}

#[test]
fn summary_counts_states() {
    let s: UpstreamSummary = states("SSKFURNQXY").into_iter().collect();
    assert_eq!(
        s,
        UpstreamSummary {
            total: 10,
            success: 2,
            skipped: 1,
            failed: 1,
            upstream_failed: 1,
            removed: 1,
            done: 6
        }
    );
    assert!(!s.all_done());
    assert!(UpstreamSummary::from_states(states("SR")).all_done());
}

#[test]
fn rule_names_round_trip() {
    for &rule in TriggerRule::ALL {
        assert_eq!(rule.as_str().parse::<TriggerRule>(), Ok(rule));
        assert_eq!(
            serde_json::to_value(rule).unwrap(),
            serde_json::json!(rule.as_str())
        );
    }
    assert_eq!(TriggerRule::default(), R::AllSuccess);
    assert_eq!(
        R::NoneFailedMinOneSuccess.as_str(),
        "none_failed_min_one_success"
    );
    let err = "all-success".parse::<TriggerRule>().unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown trigger rule \"all-success\""),
        "{err}"
    );
}
