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

/// A file's name and text, as snippets show it (plaintext secrets masked).
#[derive(Clone)]
pub struct SourceText {
    pub name: String,
    pub text: Arc<str>,
    /// The masked ranges of the original text, in order, without overlap;
    /// each shows as [`SECRET_MASK`].
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
    /// The text with each byte range in `secrets` replaced by
    /// [`SECRET_MASK`]; spans of the original text are moved to match
    /// ([`SourceText::span`]).
    pub fn masked(name: impl Into<String>, text: &str, secrets: &[Span]) -> SourceText {
        let mut spans: Vec<Span> = secrets
            .iter()
            .map(|&s| {
                let span = clamp_span(s, text);
                (span.offset(), span.len())
            })
            .filter(|&(_, len)| len > 0)
            .collect();
        spans.sort_unstable();
        let mut masks: Vec<Span> = Vec::with_capacity(spans.len());
        for (offset, len) in spans {
            match masks.last_mut() {
                Some(last) if offset < last.0 + last.1 => {
                    last.1 = last.1.max(offset + len - last.0);
                }
                _ => masks.push((offset, len)),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for &(offset, len) in &masks {
            out.push_str(&text[at..offset]);
            out.push_str(SECRET_MASK);
            at = offset + len;
        }
        out.push_str(&text[at..]);
        SourceText {
            name: name.into(),
            text: Arc::from(out),
            masks,
        }
    }

    /// A span of the original text as a span of the shown text.
    fn span(&self, (offset, len): Span) -> miette::SourceSpan {
        let start = self.position(offset);
        let end = self.position(offset.saturating_add(len)).max(start);
        clamp_span((start, end - start), &self.text)
    }

    /// A position of the original text in the shown text (a position inside
    /// a mask moves to the mask's end).
    fn position(&self, original: usize) -> usize {
        let (mut added, mut removed) = (0, 0);
        for &(offset, len) in &self.masks {
            if original <= offset {
                break;
            }
            if original < offset + len {
                return offset + added + SECRET_MASK.len() - removed;
            }
            added += SECRET_MASK.len();
            removed += len;
        }
        original + added - removed
    }
}

/// One rendered problem: message, code, help, labels on the file's text
/// (its source shows as redacted in `Debug`).
#[derive(Debug)]
pub struct FileDiagnostic {
    message: String,
    code: String,
    help: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
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

    fn build(problem: &Problem, sources: &[SourceText]) -> FileDiagnostic {
        let source = problem.file.and_then(|i| sources.get(i));
        let labels = match source {
            Some(src) => problem
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
                let src = sources.get(*file)?;
                Some(FileDiagnostic {
                    message: text.clone(),
                    code: format!("headcount::file::{}", problem.code),
                    help: None,
                    source: Some(NamedSource::new(&src.name, src.text.clone())),
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
            source: source.map(|s| NamedSource::new(&s.name, s.text.clone()).with_language("yaml")),
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
        LoadError {
            subject: subject.into(),
            diagnostics: problems
                .iter()
                .map(|p| FileDiagnostic::build(p, sources))
                .collect(),
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
        let masked = SourceText::masked("f.yaml", text, &[(start, len)]);
        assert_eq!(
            masked.text.as_ref(),
            "a: 1\npassword: ********\nb: 2\nc: x\n"
        );
        let short = SourceText::masked("f.yaml", "p: ab\n", &[(3, 2)]);
        assert_eq!(short.text.as_ref(), "p: ********\n");
        let show = |src: &SourceText, span: Span| {
            let s = src.span(span);
            src.text[s.offset()..s.offset() + s.len()].to_string()
        };
        // The secret's own label covers the mask; labels before and after
        // still point at their words.
        assert_eq!(show(&masked, (start, len)), SECRET_MASK);
        assert_eq!(show(&masked, (0, 1)), "a");
        let c = text.find("c: x").unwrap();
        assert_eq!(show(&masked, (c, 4)), "c: x");
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
