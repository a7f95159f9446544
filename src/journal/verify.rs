//! Walking a journal's chain (`headcount journal verify`).
//!
//! Line `i` (1-based) must record `seq: i` and, as `prev`, the SHA-256 of
//! line `i - 1` ([`GENESIS`] for line 1). The first line that does not says
//! what happened there:
//!
//! - its `seq` is right but `prev` is not: line `i - 1` was edited (its
//!   bytes are not those line `i` recorded);
//! - its `seq` is ahead and the missing number comes later: lines were
//!   moved; ahead and it does not come later: lines were removed;
//! - its `seq` is behind: a line was inserted (or lines moved);
//! - it is not a journal line at all: it was edited or inserted.
//!
//! A last line with no newline, or not JSON, at the very end is a line a
//! crash tore while it was written: a notice, not tampering. So is a torn
//! line closed by the next run, whose header says `after_torn_line`.
//!
//! What a chain cannot show: lines cut from the end (keep the journal where
//! its history is kept too, e.g. a git branch; each run's footer counts its
//! writes), and a journal rewritten whole with a new chain.

use serde_json::Value as Json;

use super::{line_hash, GENESIS};

/// What verifying found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Whole lines checked.
    pub lines: u64,
    /// Runs (header lines) found.
    pub runs: u64,
    /// The first break of the chain: (line number, what happened).
    pub broken: Option<(u64, String)>,
    /// Things to know that are not tampering (a torn last line, a run
    /// with no footer).
    pub notices: Vec<String>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.broken.is_none()
    }
}

/// Verifies the chain of a journal's bytes.
pub fn verify(bytes: &[u8]) -> Verdict {
    let mut verdict = Verdict::default();
    if bytes.is_empty() {
        return verdict;
    }
    let ends_whole = bytes.last() == Some(&b'\n');
    let body = if ends_whole {
        &bytes[..bytes.len() - 1]
    } else {
        bytes
    };
    let raw: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    let count = raw.len();
    let parsed: Vec<Option<serde_json::Map<String, Json>>> = raw
        .iter()
        .map(|line| match serde_json::from_slice::<Json>(line) {
            Ok(Json::Object(map)) => Some(map),
            _ => None,
        })
        .collect();
    let seq_of = |i: usize| {
        parsed[i]
            .as_ref()
            .and_then(|m| m.get("seq"))
            .and_then(Json::as_u64)
    };
    let mut expected_prev = GENESIS.to_string();
    // The run whose footer has not come yet.
    let mut open_run: Option<(u64, String)> = None;
    for i in 0..count {
        let n = i as u64 + 1;
        let Some(line) = &parsed[i] else {
            let last = i + 1 == count;
            let closed_by_next = parsed
                .get(i + 1)
                .and_then(|next| next.as_ref())
                .is_some_and(|next| {
                    next.get("after_torn_line") == Some(&Json::Bool(true))
                        && next.get("prev").and_then(Json::as_str) == Some(&line_hash(raw[i]))
                });
            if last {
                verdict.notices.push(format!(
                    "torn last line: line {n} was cut short while it was written (a crash or a kill); it is not part of the chain"
                ));
                break;
            }
            if closed_by_next {
                verdict.notices.push(format!(
                    "line {n} was torn by a crash while it was written; the next run closed it and went on"
                ));
                expected_prev = line_hash(raw[i]);
                verdict.lines += 1;
                if let Some((_, run)) = open_run.take() {
                    verdict.notices.push(format!(
                        "run {run} has no footer: it was stopped before it ended"
                    ));
                }
                continue;
            }
            verdict.broken = Some((
                n,
                format!("line {n} is not a journal line: it was edited or inserted"),
            ));
            return verdict;
        };
        let seq = line.get("seq").and_then(Json::as_u64);
        let prev = line.get("prev").and_then(Json::as_str);
        if seq == Some(n) && prev == Some(expected_prev.as_str()) {
            match line.get("type").and_then(Json::as_str) {
                Some("header") => {
                    verdict.runs += 1;
                    if let Some((_, run)) = open_run.take() {
                        verdict.notices.push(format!(
                            "run {run} has no footer: it was stopped before it ended"
                        ));
                    }
                    let run = line.get("run").and_then(Json::as_str).unwrap_or("?");
                    open_run = Some((n, run.to_string()));
                }
                Some("footer") => open_run = None,
                _ => {}
            }
            expected_prev = line_hash(raw[i]);
            verdict.lines += 1;
            continue;
        }
        let what = match seq {
            Some(s) if s == n && n == 1 => {
                "line 1 was edited (it does not start the chain)".to_string()
            }
            Some(s) if s == n => format!(
                "line {} was edited: line {n} recorded another SHA-256 for it",
                n - 1
            ),
            Some(s) if s > n => {
                let moved = (i + 1..count).any(|j| seq_of(j) == Some(n));
                if moved {
                    format!(
                        "line {n} is out of order: it was written as line {s} (lines were moved)"
                    )
                } else if s == n + 1 {
                    format!("line {n} was removed: the line now at {n} was written as line {s}")
                } else {
                    format!(
                        "lines {n} to {} were removed: the line now at {n} was written as line {s}",
                        s - 1
                    )
                }
            }
            Some(s) => format!("line {n} was inserted or moved: it was written as line {s}"),
            None => format!("line {n} has no line number: it was edited or inserted"),
        };
        verdict.broken = Some((n, what));
        return verdict;
    }
    if let Some((_, run)) = open_run {
        verdict.notices.push(format!(
            "run {run} has no footer: it was stopped before it ended (or is still running)"
        ));
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain of `n` lines as the writer makes them.
    fn chain(n: u64) -> Vec<String> {
        let mut prev = GENESIS.to_string();
        let mut lines = Vec::new();
        for seq in 1..=n {
            let kind = match seq {
                1 => "header",
                s if s == n => "footer",
                _ => "write",
            };
            let line = serde_json::json!({"seq": seq, "prev": prev, "type": kind, "run": "r", "time": "t", "key": format!("k{seq}")}).to_string();
            prev = line_hash(line.as_bytes());
            lines.push(line);
        }
        lines
    }

    fn text(lines: &[String]) -> Vec<u8> {
        let mut t = lines.join("\n");
        t.push('\n');
        t.into_bytes()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let v = verify(&text(&chain(5)));
        assert!(v.ok(), "{v:?}");
        assert_eq!((v.lines, v.runs), (5, 1));
        assert!(v.notices.is_empty(), "{v:?}");
    }

    #[test]
    fn an_edit_a_removal_and_a_swap_name_the_line() {
        let mut edited = chain(5);
        edited[2] = edited[2].replace("k3", "k9");
        assert_eq!(verify(&text(&edited)).broken.unwrap().0, 4);
        assert!(verify(&text(&edited))
            .broken
            .unwrap()
            .1
            .contains("line 3 was edited"));

        let mut removed = chain(5);
        removed.remove(2);
        let b = verify(&text(&removed)).broken.unwrap();
        assert_eq!(b.0, 3);
        assert!(b.1.contains("line 3 was removed"), "{b:?}");

        let mut swapped = chain(5);
        swapped.swap(1, 2);
        let b = verify(&text(&swapped)).broken.unwrap();
        assert_eq!(b.0, 2);
        assert!(b.1.contains("out of order"), "{b:?}");

        let mut inserted = chain(5);
        inserted.insert(2, inserted[1].clone());
        let b = verify(&text(&inserted)).broken.unwrap();
        assert_eq!(b.0, 3);
        assert!(b.1.contains("inserted"), "{b:?}");
    }

    #[test]
    fn a_torn_last_line_is_a_notice() {
        let lines = chain(4);
        let mut bytes = text(&lines[..3]);
        bytes.extend_from_slice(&lines[3].as_bytes()[..20]);
        let v = verify(&bytes);
        assert!(v.ok(), "{v:?}");
        assert!(
            v.notices.iter().any(|n| n.contains("torn last line")),
            "{v:?}"
        );
    }
}
