//! Problems found in desired-state files, as miette diagnostics.
//!
//! Validation collects [`Problem`]s (plain data: file index, byte spans,
//! message); [`LoadError`] turns them into [`FileDiagnostic`]s that carry the
//! file's text, so each renders as `file:line:col` with the snippet, a label on
//! the exact value and a help line. Plaintext secrets found in a file are
//! masked in the text every snippet is cut from.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

/// A byte range in one file.
pub type Span = (usize, usize);

/// One problem, before it is attached to its file's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Index of the file in [`LoadError`]'s sources; `None` for problems
    /// with no text to show (a missing file, say).
    pub file: Option<usize>,
    /// Short stable name, shown as `headcount::file::NAME`.
    pub code: &'static str,
    pub message: String,
    /// Labels in this file; the first is the primary one.
    pub labels: Vec<(Span, String)>,
    pub help: Option<String>,
    /// Labels in other files (a provider defined in two files).
    pub elsewhere: Vec<(usize, Span, String)>,
}

impl Problem {
    pub fn new(file: usize, code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            file: Some(file),
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            elsewhere: Vec::new(),
        }
    }

    /// A problem not tied to a place in a file.
    pub fn general(code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            file: None,
            ..Problem::new(0, code, message)
        }
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Problem {
        self.labels.push((span, text.into()));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }

    pub fn elsewhere(mut self, file: usize, span: Span, text: impl Into<String>) -> Problem {
        self.elsewhere.push((file, span, text.into()));
        self
    }
}

/// What a plaintext secret shows as in a snippet, whatever its length (a
/// mask as long as the secret would tell its length).
pub const SECRET_MASK: &str = "********";

/// What the part of a long line left out of a snippet shows as.
pub const CUT_MARK: &str = "…";

/// A line longer than this (in bytes) is shown as windows around the
/// places problems point at: miette cannot render a label past column
/// 65,535, and a line of thousands of characters is no help to read.
pub const LONG_LINE: usize = 400;

/// Bytes kept on each side of a place on a long line.
const WINDOW: usize = 80;

/// A file's name and text, with the ranges snippets must not show:
/// plaintext secrets found in the file, and every registered secret
/// ([`crate::redact`]) wherever it occurs.
#[derive(Clone)]
pub struct SourceText {
    pub name: String,
    text: Arc<str>,
    /// Sorted, without overlap.
    masks: Vec<Span>,
}

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceText")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SourceText {
    /// The text with each byte range in `secrets`, and every registered
    /// secret, to be shown as [`SECRET_MASK`].
    pub fn masked(name: impl Into<String>, text: &str, secrets: &[Span]) -> SourceText {
        let spans = secrets
            .iter()
            .copied()
            .chain(crate::redact::spans(text))
            .map(|s| {
                let span = clamp_span(s, text);
                (span.offset(), span.len())
            });
        SourceText {
            name: name.into(),
            text: Arc::from(text),
            masks: merged(spans),
        }
    }
}

/// Sorted, non-overlapping, non-empty spans covering `spans`.
fn merged(spans: impl Iterator<Item = Span>) -> Vec<Span> {
    let mut spans: Vec<Span> = spans.filter(|&(_, len)| len > 0).collect();
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for (offset, len) in spans {
        match out.last_mut() {
            Some(last) if offset <= last.0 + last.1 => {
                last.1 = last.1.max(offset + len - last.0);
            }
            _ => out.push((offset, len)),
        }
    }
    out
}

/// A range of the original text replaced in the shown text.
#[derive(Clone, Copy, Debug)]
struct Edit {
    span: Span,
    with: &'static str,
}

/// A file's text as snippets show it: secrets masked, long lines cut to
/// windows around the places the problems point at.
#[derive(Clone)]
struct Shown {
    text: Arc<str>,
    /// In the original text's order, without overlap.
    edits: Arc<[Edit]>,
    /// A line is still longer than [`MAX_SHOWN_LINE`] (places all along a
    /// long line keep it whole): each problem then gets windows of its own.
    too_long: bool,
}

/// The longest line a snippet may show, in bytes.
const MAX_SHOWN_LINE: usize = 4 * LONG_LINE;

impl Shown {
    /// `source` shown with windows around `places` (spans of the original).
    fn new(source: &SourceText, places: &[Span]) -> Shown {
        let text = &*source.text;
        let mut cuts = Vec::new();
        let mut line_start = 0;
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches(['\n', '\r']).len();
            if body > LONG_LINE {
                cuts.extend(long_line_cuts(text, (line_start, body), places));
            }
            line_start += line.len();
        }
        let edits: Vec<Edit> = if cuts.is_empty() {
            source
                .masks
                .iter()
                .map(|&span| Edit {
                    span,
                    with: SECRET_MASK,
                })
                .collect()
        } else {
            // A cut that meets a mask takes it in whole: the secret is left
            // out either way, and no part of it shows at a window's edge.
            let cut_spans = merged(cuts.iter().copied());
            let mut all: Vec<Edit> = Vec::new();
            let mut masks = source.masks.iter().peekable();
            for cut in merged(
                cut_spans.iter().copied().chain(
                    source
                        .masks
                        .iter()
                        .copied()
                        .filter(|m| cut_spans.iter().any(|c| overlaps(*c, *m))),
                ),
            ) {
                while let Some(&&mask) = masks.peek() {
                    if mask.0 >= cut.0 {
                        break;
                    }
                    all.push(Edit {
                        span: mask,
                        with: SECRET_MASK,
                    });
                    masks.next();
                }
                while masks.peek().is_some_and(|m| m.0 < cut.0 + cut.1) {
                    masks.next();
                }
                all.push(Edit {
                    span: cut,
                    with: CUT_MARK,
                });
            }
            all.extend(masks.map(|&span| Edit {
                span,
                with: SECRET_MASK,
            }));
            all
        };
        let mut out = String::with_capacity(text.len().min(1 << 20));
        let mut at = 0;
        for edit in &edits {
            out.push_str(&text[at..edit.span.0]);
            out.push_str(edit.with);
            at = edit.span.0 + edit.span.1;
        }
        out.push_str(&text[at..]);
        let too_long = out.split('\n').any(|line| line.len() > MAX_SHOWN_LINE);
        Shown {
            text: Arc::from(out),
            edits: edits.into(),
            too_long,
        }
    }

    /// A span of the original text as a span of the shown text.
    fn span(&self, (offset, len): Span) -> miette::SourceSpan {
        let start = self.position(offset);
        let end = self.position(offset.saturating_add(len)).max(start);
        clamp_span((start, end - start), &self.text)
    }

    /// A position of the original text in the shown text (a position inside
    /// an edit moves to the edit's end).
    fn position(&self, original: usize) -> usize {
        let (mut added, mut removed) = (0, 0);
        for edit in self.edits.iter() {
            let (offset, len) = edit.span;
            if original <= offset {
                break;
            }
            if original < offset + len {
                return offset + added + edit.with.len() - removed;
            }
            added += edit.with.len();
            removed += len;
        }
        original + added - removed
    }

    /// A position of the shown text in the original text (a position inside
    /// a replacement moves to the start of what it replaced).
    fn original(&self, shown: usize) -> usize {
        let (mut added, mut removed) = (0usize, 0usize);
        for edit in self.edits.iter() {
            let (offset, len) = edit.span;
            let shown_at = offset + added - removed;
            if shown < shown_at {
                break;
            }
            if shown < shown_at + edit.with.len() {
                return offset;
            }
            added += edit.with.len();
            removed += len;
        }
        shown + removed - added
    }
}

fn overlaps(a: Span, b: Span) -> bool {
    a.0 < b.0 + b.1 && b.0 < a.0 + a.1
}

/// The ranges of a long line (`(start, length)` without its line break)
/// left out of snippets: all but [`WINDOW`] bytes around each place on it,
/// or all but its first [`WINDOW`] bytes when nothing points at it.
fn long_line_cuts(text: &str, (start, len): Span, places: &[Span]) -> Vec<Span> {
    let end = start + len;
    let mut keep: Vec<Span> = places
        .iter()
        .filter(|(at, _)| (start..=end).contains(at))
        .map(|&(at, n)| {
            let from = at.saturating_sub(WINDOW).max(start);
            let to = (at + n.min(WINDOW) + WINDOW).min(end);
            (from, to - from)
        })
        .collect();
    if keep.is_empty() {
        keep.push((start, WINDOW.min(len)));
    }
    let keep = merged(keep.into_iter());
    let mut cuts = Vec::new();
    let mut at = start;
    for (from, n) in keep {
        let from = floor_boundary(text, from);
        if from > at {
            cuts.push((at, from - at));
        }
        at = ceil_boundary(text, from + n).max(at);
    }
    if end > at {
        cuts.push((at, end - at));
    }
    cuts
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while at < text.len() && !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// The shown text as miette reads it, with each snippet's column counted
/// in the original text (a window of a long line starts at its column,
/// not at 1).
struct ShownCode(Shown);

impl SourceCode for ShownCode {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let shown = &self.0;
        let inner = shown
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        let at = inner.span().offset();
        let line_start = at.saturating_sub(inner.column());
        let column = shown
            .original(at)
            .saturating_sub(shown.original(line_start));
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

/// One rendered problem: message, code, help, labels on the file's text
/// (its source shows as redacted in `Debug`).
#[derive(Debug)]
pub struct FileDiagnostic {
    message: String,
    code: String,
    help: Option<String>,
    source: Option<NamedSource<ShownCode>>,
    labels: Vec<LabeledSpan>,
    related: Vec<FileDiagnostic>,
    advice: bool,
}

impl fmt::Display for FileDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FileDiagnostic {}

impl Diagnostic for FileDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(if self.advice {
            miette::Severity::Advice
        } else {
            miette::Severity::Error
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() || self.source.is_none() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
        }
    }
}

impl FileDiagnostic {
    /// The problem's message (first line of the rendering).
    pub fn message(&self) -> &str {
        &self.message
    }

    fn build(problem: &Problem, sources: &[(String, Shown)]) -> FileDiagnostic {
        let source = problem.file.and_then(|i| sources.get(i));
        let labels = match source {
            Some((_, src)) => problem
                .labels
                .iter()
                .enumerate()
                .map(|(i, (span, text))| {
                    let span = src.span(*span);
                    if i == 0 {
                        LabeledSpan::new_primary_with_span(Some(text.clone()), span)
                    } else {
                        LabeledSpan::new_with_span(Some(text.clone()), span)
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let related = problem
            .elsewhere
            .iter()
            .filter_map(|(file, span, text)| {
                let (name, src) = sources.get(*file)?;
                Some(FileDiagnostic {
                    message: text.clone(),
                    code: format!("headcount::file::{}", problem.code),
                    help: None,
                    source: Some(NamedSource::new(name, ShownCode(src.clone()))),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        Some(text.clone()),
                        src.span(*span),
                    )],
                    related: Vec::new(),
                    advice: true,
                })
            })
            .collect();
        FileDiagnostic {
            message: problem.message.clone(),
            code: format!("headcount::file::{}", problem.code),
            help: problem.help.clone(),
            source: source.map(|(name, s)| {
                NamedSource::new(name, ShownCode(s.clone())).with_language("yaml")
            }),
            labels,
            related,
            advice: false,
        }
    }
}

/// Keeps a span inside the text and on character boundaries.
fn clamp_span((offset, len): Span, text: &str) -> miette::SourceSpan {
    let mut start = offset.min(text.len());
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = start.saturating_add(len).min(text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    (start, end - start).into()
}

/// Every problem found while loading a desired state. Renders as a summary
/// line followed by each problem; [`LoadError::diagnostics`] gives them one by one.
#[derive(Debug)]
pub struct LoadError {
    /// What was loaded, as the user named it (`headcount.yaml`, `config/`).
    subject: String,
    diagnostics: Vec<FileDiagnostic>,
}

impl LoadError {
    pub fn new(subject: impl Into<String>, problems: &[Problem], sources: &[SourceText]) -> Self {
        let places = |problems: &[Problem], index: usize| -> Vec<Span> {
            problems
                .iter()
                .flat_map(|p| {
                    let here = p.labels.iter().filter(move |_| p.file == Some(index));
                    let elsewhere = p.elsewhere.iter().filter(|(f, ..)| *f == index);
                    here.map(|(span, _)| *span)
                        .chain(elsewhere.map(|(_, span, _)| *span))
                })
                .collect()
        };
        let shared: Vec<(String, Shown)> = sources
            .iter()
            .enumerate()
            .map(|(index, source)| {
                (
                    source.name.clone(),
                    Shown::new(source, &places(problems, index)),
                )
            })
            .collect();
        let diagnostics = problems
            .iter()
            .map(|problem| {
                if !shared.iter().any(|(_, s)| s.too_long) {
                    return FileDiagnostic::build(problem, &shared);
                }
                // Windows around this problem's places only.
                let own: Vec<(String, Shown)> = sources
                    .iter()
                    .zip(&shared)
                    .enumerate()
                    .map(|(index, (source, (name, shown)))| {
                        let shown = if shown.too_long {
                            Shown::new(source, &places(std::slice::from_ref(problem), index))
                        } else {
                            shown.clone()
                        };
                        (name.clone(), shown)
                    })
                    .collect();
                FileDiagnostic::build(problem, &own)
            })
            .collect();
        LoadError {
            subject: subject.into(),
            diagnostics,
        }
    }

    /// How many problems were found.
    pub fn count(&self) -> usize {
        self.diagnostics.len()
    }

    /// Each problem as its own diagnostic, in file order.
    pub fn diagnostics(&self) -> &[FileDiagnostic] {
        &self.diagnostics
    }

    /// "2 errors in headcount.yaml".
    pub fn summary(&self) -> String {
        let n = self.count();
        format!(
            "{n} {} in {}",
            if n == 1 { "error" } else { "errors" },
            self.subject
        )
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

impl std::error::Error for LoadError {}

impl Diagnostic for LoadError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("headcount::file"))
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "fix the problems below; `headcount validate` checks the file without credentials",
        ))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.diagnostics.iter().map(|d| d as &dyn Diagnostic),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_secret_shows_a_fixed_mask_and_later_spans_still_fit() {
        let text = "a: 1\npassword: \"hünter2-very-long\"\nb: 2\nc: x\n";
        let start = text.find('"').unwrap();
        let len = "\"hünter2-very-long\"".len();
        let masked = Shown::new(&SourceText::masked("f.yaml", text, &[(start, len)]), &[]);
        assert_eq!(
            masked.text.as_ref(),
            "a: 1\npassword: ********\nb: 2\nc: x\n"
        );
        let short = Shown::new(&SourceText::masked("f.yaml", "p: ab\n", &[(3, 2)]), &[]);
        assert_eq!(short.text.as_ref(), "p: ********\n");
        let show = |src: &Shown, span: Span| {
            let s = src.span(span);
            src.text[s.offset()..s.offset() + s.len()].to_string()
        };
        // The secret's own label covers the mask; labels before and after
        // still point at their words.
        assert_eq!(show(&masked, (start, len)), SECRET_MASK);
        assert_eq!(show(&masked, (0, 1)), "a");
        let c = text.find("c: x").unwrap();
        assert_eq!(show(&masked, (c, 4)), "c: x");
        assert_eq!(masked.original(masked.position(c)), c);
    }

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_problem() {
        let mut text = String::from("version: 1\nx: [");
        for i in 0..20_000 {
            text.push_str(&format!("{i}, "));
        }
        let at = text.len() - 40;
        text.push_str("oops]\n");
        let source = SourceText::masked("f.yaml", &text, &[]);
        let problem = Problem::new(0, "x", "bad").label((at, 4), "here");
        let err = LoadError::new("f.yaml", &[problem], &[source]);
        let shown = crate::commands::render_report(&err.diagnostics()[0], false, 100);
        assert!(
            shown.contains(&format!("[f.yaml:2:{}]", at - 11 + 1)),
            "{shown}"
        );
        assert!(shown.contains(CUT_MARK), "{shown}");
        assert!(shown.lines().all(|l| l.len() < 1000), "{shown}");
        // A problem at every item of the line: each still gets its window.
        let problems: Vec<Problem> = (0..2000)
            .map(|i| Problem::new(0, "x", "bad").label((16 + i * 40, 2), "here"))
            .collect();
        let source = SourceText::masked("f.yaml", &text, &[]);
        let err = LoadError::new("f.yaml", &problems, &[source]);
        for d in [&err.diagnostics()[0], &err.diagnostics()[1999]] {
            let shown = crate::commands::render_report(d, false, 100);
            assert!(shown.lines().all(|l| l.len() < 1000), "{shown}");
        }
    }

    #[test]
    fn summary_counts_problems() {
        let src = SourceText::masked("f.yaml", "a: 1\n", &[]);
        let p = Problem::new(0, "x", "bad").label((0, 1), "here");
        let err = LoadError::new("f.yaml", &[p.clone(), p], &[src]);
        assert_eq!(err.count(), 2);
        assert_eq!(err.summary(), "2 errors in f.yaml");
        let one = LoadError::new("f.yaml", &[Problem::general("x", "bad")], &[]);
        assert_eq!(one.to_string(), "1 error in f.yaml");
    }

    #[test]
    fn spans_are_clamped_to_the_text() {
        let s = clamp_span((100, 5), "héllo");
        assert_eq!((s.offset(), s.len()), (6, 0));
        let s = clamp_span((2, 1), "héllo");
        assert_eq!((s.offset(), s.len()), (1, 2));
    }
}
