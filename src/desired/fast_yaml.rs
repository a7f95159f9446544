//! A hand-written reader for the block-style YAML that desired-state files use.
//!
//! One pass over the bytes, one `String` per scalar at most. It reads a
//! subset only — block mappings and sequences, one-line plain and quoted
//! scalars, one-line flow collections, comments — and answers `None` for
//! anything else, so that [`super::yaml`]'s general readers take over with
//! their limits and messages unchanged. Whenever it answers `Some`, the tree
//! is exactly the one `yaml::events::parse` builds (positions included);
//! the tests below check that on every fixture and on generated documents.

use std::borrow::Cow;

use serde_saphyr::granit_parser::ScalarStyle;

use super::yaml::events::{scalar, FAST_DEPTH};
use super::yaml::{Node, Pos, Value, MAX_NODES};

/// Scalars and flow collections longer than this are left to the general
/// reader (the scanner gives up on simple keys after 1024 characters).
const MAX_KEY_BYTES: usize = 512;

/// Reads `text` if it is in the subset; `None` otherwise.
pub(crate) fn parse(text: &str) -> Option<Node> {
    if !plain_characters(text.as_bytes()) {
        return None;
    }
    let mut r = Reader {
        text,
        b: text.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
        col_off: 0,
        col_chars: 0,
        nodes: 0,
    };
    let indent = match r.next_content_line()? {
        Line::Eof => return None,
        Line::At(indent) => indent,
    };
    r.i = r.line_start + indent;
    let root = if r.is_dash(r.i) {
        r.block_seq(indent, 0, false)?
    } else {
        let (key, is_key) = r.block_scalar(true)?;
        if !is_key {
            return None;
        }
        r.block_map(indent, 0, key)?
    };
    match r.next_content_line()? {
        Line::Eof => Some(root),
        Line::At(_) => None,
    }
}

/// True when every byte is one the subset allows: printable ASCII, line
/// feeds, and UTF-8 other than C1 controls, BOMs and the Unicode line
/// separators (which YAML readers treat specially). Tabs and CRs are refused.
fn plain_characters(b: &[u8]) -> bool {
    let simple = |c: u8| (0x20..0x7f).contains(&c) || c == b'\n';
    for (n, chunk) in b.chunks(64).enumerate() {
        if chunk.iter().fold(true, |ok, &c| ok & simple(c)) {
            continue;
        }
        for k in n * 64..n * 64 + chunk.len() {
            let c = b[k];
            if c < 0x80 {
                if !simple(c) {
                    return false;
                }
                continue;
            }
            let next = b.get(k + 1).copied().unwrap_or(0);
            let third = b.get(k + 2).copied().unwrap_or(0);
            let refused = match c {
                // U+0080..U+009F (C1 controls, NEL).
                0xC2 => next < 0xA0,
                // U+2028, U+2029.
                0xE2 => next == 0x80 && (third == 0xA8 || third == 0xA9),
                // U+FEFF, U+FFFE, U+FFFF.
                0xEF => (next == 0xBB && third == 0xBF) || (next == 0xBF && third >= 0xBE),
                _ => false,
            };
            if refused {
                return false;
            }
        }
    }
    true
}

enum Line {
    Eof,
    /// A line with content, indented by this many spaces.
    At(usize),
}

struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    /// The cursor.
    i: usize,
    /// 1-based line of the cursor.
    line: u32,
    /// Offset of the cursor's line.
    line_start: usize,
    /// A known (offset, characters since line start) on the current line,
    /// so that columns cost the distance from the previous node only.
    col_off: usize,
    col_chars: u32,
    nodes: usize,
}

impl Reader<'_> {
    fn peek(&self, at: usize) -> u8 {
        self.b.get(at).copied().unwrap_or(b'\n')
    }

    fn at_end(&self, at: usize) -> bool {
        at >= self.b.len() || self.b[at] == b'\n'
    }

    /// The position of `len` bytes at `offset` on the current line.
    fn pos(&mut self, offset: usize, len: usize) -> Pos {
        if self.col_off < self.line_start || self.col_off > offset {
            self.col_off = self.line_start;
            self.col_chars = 0;
        }
        let between = &self.b[self.col_off..offset];
        let chars = between.iter().filter(|&&c| (c & 0xC0) != 0x80).count();
        self.col_chars = self.col_chars.saturating_add(clamp(chars));
        self.col_off = offset;
        Pos {
            offset: clamp(offset),
            len: clamp(len),
            line: self.line,
            column: self.col_chars.saturating_add(1),
        }
    }

    fn count(&mut self, n: usize) -> Option<()> {
        self.nodes += n;
        (self.nodes <= MAX_NODES).then_some(())
    }

    fn skip_spaces(&mut self) -> usize {
        let start = self.i;
        while self.b.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
        self.i - start
    }

    /// Moves past the line feed at the cursor (or stays at the end).
    fn new_line(&mut self) {
        if self.i < self.b.len() {
            self.i += 1;
            self.line += 1;
            self.line_start = self.i;
        }
    }

    /// After a value: spaces, then an optional comment, then the end of the line.
    fn end_of_line(&mut self) -> Option<()> {
        self.skip_spaces();
        if self.peek(self.i) == b'#' && self.i > 0 && self.b[self.i - 1] == b' ' {
            while !self.at_end(self.i) {
                self.i += 1;
            }
        }
        if !self.at_end(self.i) {
            return None;
        }
        self.new_line();
        Some(())
    }

    /// Skips blank and comment lines from the start of a line; leaves the
    /// cursor at the start of the next line with content. Document markers
    /// refuse the document.
    fn next_content_line(&mut self) -> Option<Line> {
        if self.i >= self.b.len() {
            return Some(Line::Eof);
        }
        if self.i != self.line_start {
            return None;
        }
        loop {
            self.i = self.line_start;
            if self.i >= self.b.len() {
                return Some(Line::Eof);
            }
            let indent = self.skip_spaces();
            match self.peek(self.i) {
                b'\n' => {
                    if self.i >= self.b.len() {
                        return Some(Line::Eof);
                    }
                    self.new_line();
                }
                b'#' => {
                    while !self.at_end(self.i) {
                        self.i += 1;
                    }
                    if self.i >= self.b.len() {
                        return Some(Line::Eof);
                    }
                    self.new_line();
                }
                _ => {
                    let rest = &self.b[self.line_start..];
                    if indent == 0 && (rest.starts_with(b"---") || rest.starts_with(b"...")) {
                        return None;
                    }
                    self.i = self.line_start;
                    return Some(Line::At(indent));
                }
            }
        }
    }

    /// A `- ` (or `-` at the end of a line) at `at`.
    fn is_dash(&self, at: usize) -> bool {
        self.peek(at) == b'-' && matches!(self.peek(at + 1), b' ' | b'\n')
    }

    /// A block mapping whose first key (already read, `:` consumed) starts
    /// at column `indent`.
    fn block_map(&mut self, indent: usize, depth: usize, first: Node) -> Option<Node> {
        if depth >= FAST_DEPTH {
            return None;
        }
        self.count(2)?;
        let pos = Pos {
            len: 0,
            ..first.pos
        };
        // Room for a typical account at once; the rest is given back below.
        let mut entries = Vec::with_capacity(8);
        let mut key = first;
        loop {
            let value = self.map_value(indent, depth + 1)?;
            entries.push((key, value));
            match self.next_content_line()? {
                Line::Eof => break,
                Line::At(m) if m < indent => break,
                Line::At(m) if m > indent => return None,
                Line::At(_) => {
                    self.i = self.line_start + indent;
                    if self.is_dash(self.i) {
                        return None;
                    }
                    let (next, is_key) = self.block_scalar(true)?;
                    if !is_key {
                        return None;
                    }
                    key = next;
                }
            }
        }
        entries.shrink_to_fit();
        Some(Node {
            pos,
            value: Value::Map(entries),
        })
    }

    /// The value after `key:` in a block mapping at column `indent`; leaves
    /// the cursor at the start of a line.
    fn map_value(&mut self, indent: usize, depth: usize) -> Option<Node> {
        // An empty value sits on its colon.
        let colon = self.i - 1;
        let spaces = self.skip_spaces();
        let c = self.peek(self.i);
        if self.at_end(self.i) || (c == b'#' && spaces > 0) {
            let null = Node {
                pos: self.pos(colon, 0),
                value: Value::Null,
            };
            self.count(1)?;
            self.end_of_line()?;
            return match self.next_content_line()? {
                Line::Eof => Some(null),
                Line::At(m) if m < indent => Some(null),
                Line::At(m) if m == indent => {
                    if self.is_dash(self.line_start + m) {
                        self.block_seq(m, depth, true)
                    } else {
                        Some(null)
                    }
                }
                Line::At(m) => {
                    self.i = self.line_start + m;
                    if self.is_dash(self.i) {
                        return self.block_seq(m, depth, false);
                    }
                    let (key, is_key) = self.block_scalar(true)?;
                    if !is_key {
                        return None;
                    }
                    self.block_map(m, depth, key)
                }
            };
        }
        let value = self.inline_value(depth)?;
        self.end_of_line()?;
        Some(value)
    }

    /// A scalar or flow collection on the rest of the line (not a key).
    fn inline_value(&mut self, depth: usize) -> Option<Node> {
        match self.peek(self.i) {
            b'[' | b'{' => {
                let start = self.i;
                let node = self.flow(depth)?;
                (self.i - start <= MAX_KEY_BYTES).then_some(())?;
                // `[a]: b` would make the collection a key.
                let save = self.i;
                self.skip_spaces();
                if self.peek(self.i) == b':' {
                    return None;
                }
                self.i = save;
                Some(node)
            }
            _ => {
                let (node, is_key) = self.block_scalar(false)?;
                if is_key {
                    return None;
                }
                Some(node)
            }
        }
    }

    /// A block sequence whose dashes are at column `indent`; the cursor is at
    /// the start of the first dash's line. `indentless` when it sits at the
    /// same column as its parent mapping's keys.
    fn block_seq(&mut self, indent: usize, depth: usize, indentless: bool) -> Option<Node> {
        if depth >= FAST_DEPTH {
            return None;
        }
        self.count(2)?;
        let mut pos = None;
        let mut items = Vec::new();
        loop {
            let dash = self.line_start + indent;
            self.i = dash + 1;
            if self.skip_spaces() == 0 {
                return None;
            }
            if self.at_end(self.i) || self.peek(self.i) == b'#' || self.is_dash(self.i) {
                return None;
            }
            if pos.is_none() {
                let at = if indentless { self.i } else { dash };
                pos = Some(self.pos(at, 0));
            }
            let item = match self.peek(self.i) {
                b'[' | b'{' => {
                    let node = self.inline_value(depth + 1)?;
                    self.end_of_line()?;
                    node
                }
                _ => {
                    let column = self.i - self.line_start;
                    let (node, is_key) = self.block_scalar(true)?;
                    if is_key {
                        self.block_map(column, depth + 1, node)?
                    } else {
                        self.end_of_line()?;
                        node
                    }
                }
            };
            items.push(item);
            match self.next_content_line()? {
                Line::Eof => break,
                Line::At(m) if m < indent => break,
                Line::At(m) if m > indent => return None,
                Line::At(m) => {
                    if !self.is_dash(self.line_start + m) {
                        break;
                    }
                }
            }
        }
        Some(Node {
            pos: pos?,
            value: Value::Seq(items),
        })
    }

    /// A plain or quoted scalar in block context at the cursor. With
    /// `key_allowed`, a following `: ` (or `:` at the end of the line) makes
    /// it a key: the colon is consumed and the answer is `(key, true)`.
    /// Otherwise a following `: ` refuses the document.
    fn block_scalar(&mut self, key_allowed: bool) -> Option<(Node, bool)> {
        let start = self.i;
        let node = match self.peek(start) {
            b'\'' | b'"' => self.quoted()?,
            _ => {
                let end = self.plain_end(false)?;
                self.plain(start, end)?
            }
        };
        let save = self.i;
        self.skip_spaces();
        if self.peek(self.i) == b':' && matches!(self.peek(self.i + 1), b' ' | b'\n') {
            if !key_allowed || self.i - start > MAX_KEY_BYTES {
                return None;
            }
            if matches!(&node.value, Value::Str(s) if s == "<<")
                && !matches!(self.peek(start), b'\'' | b'"')
            {
                return None;
            }
            self.i += 1;
            return Some((node, true));
        }
        self.i = save;
        Some((node, false))
    }

    /// Scans a plain scalar from the cursor; returns its end (trailing spaces
    /// excluded) and leaves the cursor there. Refuses what the subset does
    /// not cover: indicators at the start, comments inside flow collections,
    /// `: ` and line ends inside flow collections.
    fn plain_end(&mut self, flow: bool) -> Option<usize> {
        let start = self.i;
        let first = self.peek(start);
        match first {
            b'-' => {
                let next = self.peek(start + 1);
                if matches!(next, b' ' | b'\n') || (flow && b",[]{}".contains(&next)) {
                    return None;
                }
            }
            b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
            | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' => return None,
            _ => {}
        }
        let mut j = start;
        let mut end = start;
        loop {
            let c = self.peek(j);
            if c == b'\n' {
                if flow {
                    return None;
                }
                break;
            }
            if c == b':' {
                let next = self.peek(j + 1);
                if matches!(next, b' ' | b'\n') {
                    break;
                }
                if flow && b",[]{}".contains(&next) {
                    return None;
                }
            } else if c == b'#' && self.b[j - 1] == b' ' {
                if flow {
                    return None;
                }
                break;
            } else if flow && b",[]{}".contains(&c) {
                break;
            }
            j += 1;
            if c != b' ' {
                end = j;
            }
        }
        self.i = end;
        Some(end)
    }

    /// The node for the plain scalar `start..end`, resolved as the event reader resolves it.
    fn plain(&mut self, start: usize, end: usize) -> Option<Node> {
        self.count(1)?;
        if end - start > MAX_KEY_BYTES {
            return None;
        }
        let text = self.text.get(start..end)?;
        let value = scalar(Cow::Borrowed(text), ScalarStyle::Plain)?;
        Some(Node {
            pos: self.pos(start, end - start),
            value,
        })
    }

    /// A single- or double-quoted scalar on one line at the cursor.
    fn quoted(&mut self) -> Option<Node> {
        self.count(1)?;
        let start = self.i;
        let quote = self.b[start];
        let mut j = start + 1;
        let mut owned: Option<String> = None;
        let mut run = j;
        loop {
            let c = self.peek(j);
            if self.at_end(j) {
                return None;
            }
            if c == quote {
                if quote == b'\'' && self.peek(j + 1) == b'\'' {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text.get(run..=j)?);
                    j += 2;
                    run = j;
                    continue;
                }
                break;
            }
            if c == b'\\' && quote == b'"' {
                let s = owned.get_or_insert_with(String::new);
                s.push_str(self.text.get(run..j)?);
                let (ch, used) = escape(&self.b[j + 1..])?;
                s.push(ch);
                j += 1 + used;
                run = j;
                continue;
            }
            j += 1;
        }
        if j - start > MAX_KEY_BYTES {
            return None;
        }
        let tail = self.text.get(run..j)?;
        let value = match owned {
            Some(mut s) => {
                s.push_str(tail);
                s
            }
            None => tail.to_owned(),
        };
        self.i = j + 1;
        Some(Node {
            pos: self.pos(start, j + 1 - start),
            value: Value::Str(value),
        })
    }

    /// A flow collection on one line at the cursor (`[` or `{`).
    fn flow(&mut self, depth: usize) -> Option<Node> {
        if depth >= FAST_DEPTH {
            return None;
        }
        self.count(2)?;
        let open = self.b[self.i];
        let pos = self.pos(self.i, 1);
        self.i += 1;
        self.skip_spaces();
        if open == b'[' {
            let mut items = Vec::new();
            if self.peek(self.i) == b']' {
                self.i += 1;
            } else {
                loop {
                    let item = self.flow_node(depth + 1)?;
                    self.skip_spaces();
                    if self.peek(self.i) == b':' {
                        return None;
                    }
                    items.push(item);
                    if !self.flow_separator(b']')? {
                        break;
                    }
                }
            }
            return Some(Node {
                pos,
                value: Value::Seq(items),
            });
        }
        let mut entries = Vec::new();
        if self.peek(self.i) == b'}' {
            self.i += 1;
        } else {
            loop {
                let start = self.i;
                let key = match self.peek(start) {
                    b'\'' | b'"' => self.quoted()?,
                    b'[' | b'{' => return None,
                    _ => {
                        let end = self.plain_end(true)?;
                        let key = self.plain(start, end)?;
                        if matches!(&key.value, Value::Str(s) if s == "<<") {
                            return None;
                        }
                        key
                    }
                };
                self.skip_spaces();
                if self.peek(self.i) != b':' || self.peek(self.i + 1) != b' ' {
                    return None;
                }
                let colon = self.i;
                self.i += 1;
                self.skip_spaces();
                let value = if matches!(self.peek(self.i), b',' | b'}') {
                    self.count(1)?;
                    Node {
                        pos: self.pos(colon, 0),
                        value: Value::Null,
                    }
                } else {
                    let value = self.flow_node(depth + 1)?;
                    self.skip_spaces();
                    value
                };
                entries.push((key, value));
                if !self.flow_separator(b'}')? {
                    break;
                }
            }
        }
        entries.shrink_to_fit();
        Some(Node {
            pos,
            value: Value::Map(entries),
        })
    }

    /// After a flow entry: `,` (answers true: another entry follows) or the
    /// closing bracket (false). A trailing comma refuses the document.
    fn flow_separator(&mut self, close: u8) -> Option<bool> {
        match self.peek(self.i) {
            b',' => {
                self.i += 1;
                self.skip_spaces();
                if matches!(self.peek(self.i), b',' | b']' | b'}') {
                    return None;
                }
                Some(true)
            }
            c if c == close => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A scalar or nested collection inside a flow collection.
    fn flow_node(&mut self, depth: usize) -> Option<Node> {
        let start = self.i;
        match self.peek(start) {
            b'[' | b'{' => self.flow(depth),
            b'\'' | b'"' => self.quoted(),
            _ => {
                let end = self.plain_end(true)?;
                self.plain(start, end)
            }
        }
    }
}

/// One escape after a backslash in a double-quoted scalar: the character
/// and how many bytes it used. Only the common escapes; others refuse.
fn escape(rest: &[u8]) -> Option<(char, usize)> {
    let c = *rest.first()?;
    let simple = match c {
        b'\\' => '\\',
        b'"' => '"',
        b'/' => '/',
        b'n' => '\n',
        b't' => '\t',
        b'r' => '\r',
        b'0' => '\0',
        b'u' => {
            let hex = std::str::from_utf8(rest.get(1..5)?).ok()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            let code = u32::from_str_radix(hex, 16).ok()?;
            return char::from_u32(code).map(|ch| (ch, 5));
        }
        _ => return None,
    };
    Some((simple, 1))
}

fn clamp(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::super::yaml::{self, events};
    use super::*;

    /// Where the fast reader answers, its tree must be the event reader's.
    /// Returns whether it answered.
    fn same(text: &str) -> bool {
        let Some(fast) = parse(text) else {
            return false;
        };
        match events::parse(text) {
            Some(slow) => {
                if fast != slow {
                    let (f, e) = (flat(&fast), flat(&slow));
                    let k = f.iter().zip(&e).take_while(|(a, b)| a == b).count();
                    panic!(
                        "the readers differ on:\n{text:?}\nfast:   {:?}\nevents: {:?}",
                        f.get(k),
                        e.get(k)
                    );
                }
            }
            None => panic!("fast read what the event reader refuses:\n{text:?}\n{fast:#?}"),
        }
        true
    }

    /// The tree as one line per node, for readable failures.
    fn flat(node: &Node) -> Vec<String> {
        let mut out = vec![format!("{:?} {:?}", node.pos, kind(&node.value))];
        match &node.value {
            Value::Seq(items) => items.iter().for_each(|n| out.extend(flat(n))),
            Value::Map(entries) => entries.iter().for_each(|(k, v)| {
                out.extend(flat(k));
                out.extend(flat(v));
            }),
            _ => {}
        }
        out
    }

    fn kind(value: &Value) -> String {
        match value {
            Value::Seq(items) => format!("seq of {}", items.len()),
            Value::Map(entries) => format!("map of {}", entries.len()),
            other => format!("{other:?}"),
        }
    }

    /// A desired-state file shaped like the performance generator's.
    fn generated(n: usize) -> String {
        let mut out = String::from(
            "version: 1\n\nproviders:\n  thulium:\n    type: thulium\n    url: http://127.0.0.1:8799/thulium\n    auth:\n      username: { env: THULIUM_API_USER }\n      password: { env: THULIUM_API_PASSWORD }\n  ccp:\n    type: ccp\n    url: http://127.0.0.1:8799/ccp\n    auth:\n      api_key: { env: CCP_API_KEY }\n\nagents:\n",
        );
        for i in 0..n {
            out.push_str(&format!(
                "  - login: agent{i:06}\n    name: Jan\n    surname: Kowalski{i}\n    number: \"{}\"\n    email: agent{i:06}@example.com\n    password: {{ env: AGENT_PASSWORD }}\n",
                10000 + i
            ));
        }
        out.push_str("\nusers:\n");
        for i in 0..n {
            out.push_str(&format!(
                "  - provider: ccp\n    username: User.{i:06}\n    level: agent\n    role_uuid: e40292d3-4707-40e5-a7f2-044d3d639757\n    first_name: Hai\n    password: {{ env: USER_PASSWORD }}\n"
            ));
        }
        for i in 0..n {
            out.push_str(&format!(
                "  - provider: dnl\n    name: user-{i:06}\n    user_type: agent\n    email: user-{i:06}@example.net\n    first_name: Do\n    last_name: Hai{i}\n    password: {{ env: USER_PASSWORD }}\n"
            ));
        }
        out
    }

    const SNIPPETS: &[&str] = &[
        "a: 1\nb:\nc: 'x'\nd: \"y\"\n",
        "a:\n  b: c\n  d:\n    - 1\n    - x\ne: f\n",
        "a:\n- x: 1\n  y: 2\n- z\nb: 3\n",
        "a: [1, 'x', {b: c}, []]\ne: {}\nf: { env: X }  # c\n",
        "a: b   # comment\nc: d\n\n\n# x\n",
        "- a\n- b\n",
        "a:   \nb: x\n",
        "a:\n  b:\n# x\n\nc:\n",
        "a: [ x , y ]\nb: { k: v , l: }\nc: [a: b]\n",
        "a: 'it''s'\nb: \"q\\\"x\\u00e9\"\n",
        "\"k\": 1\n'l': 2\n",
        "a: 1",
        "a:",
        "a: x\r\nb: y\r\n",
        "- x: 1\n  y:\n- q\n",
        "k: x y z\n",
        "a: {b: [c, d]}\n",
        "a:\n- z\n- y\n",
        "a:\n- [x]\n",
        "a:\n- {x: 1}\n",
        "a:\n- 'q'\n",
        "a:\n-   x: 1\n",
        "a:\n  -   x: 1\n",
        "# c\n\n  a: 1\n",
        "\u{e9}\u{e9}: \u{fc}\n\u{e9}: [\u{fc}, x]\n",
        "a  : b\n'c'  : d\n",
        "a:  # c\nb: 1\n",
        "a:\n  # c\n  b: 1\n",
        "- a: 1\n  b: 2\n- c\n",
        "a: x  \n",
        "a: [a b, c d ]\n",
        "a: {'a': \"b\"}\n",
        "a:\n-\n  x\n",
        "a:\n- x\n  - y\n",
        "a: \"\\t\\/\\0\\\\\\r\\n\"\n",
        "a: b\n  c\n",
        "a: x:y\n",
        "- - x\n",
        "- a:\n  - x\n  - y\n  b: 1\n",
        "- a:\n- b\n",
        "a: b\n  # indented comment\nc: d\n",
        "a: -1\nb: -x\nc: 0\nd: 12\ne: 123456789012345678\n",
        "a: true\nb: False\nc: TRUE\nd: yes\ne: on\nf: ~\ng: null\nh: NULL\ni:\nj: ''\nk: \"\"\n",
        "1: one\ntrue: yes\n~: null key\n",
        "a: 007\n",
        "a: 1.5\n",
        "a: 203.0.113.10\n",
        "a: [1, 2\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 5\n",
        "<<: {a: 1}\nb: 2\n",
        "'<<': 1\n",
        "a: {<<: 1}\n",
        "? complex\n: value\n",
        "key: |\n  line one\n",
        "key: >\n  folded\n",
        "a: @x\n",
        "a: `x\n",
        "[a, b]: list key\n",
        "{a: 1}: x\n",
        "---\na: 1\n",
        "a: 1\n---\nb: 2\n",
        "a: 1\n...\n",
        "%YAML 1.2\n---\na: 1\n",
        "\u{feff}a: 1\n",
        "a:\tb\n",
        "a: b # c\t\n",
        "a: b: c\n",
        "a: b:\n",
        "a: [a, ]\n",
        "a: [a,, b]\n",
        "a: {a}\n",
        "a: {a:b}\n",
        "a: {a: b, c}\n",
        "a: [x]y\n",
        "a: 'x'y\n",
        "a: 'x\n  y'\n",
        "a: \"x\\qy\"\n",
        "a: \"\\ud800\"\n",
        "a: -\n",
        "a: - x\n",
        "a:\n  b: 1\n c: 2\n",
        "a:\n  - x\n  b: 1\n",
        "a: 1\n- x\n",
        "- x\na: 1\n",
        "  - x\n  - y\n",
        "a: x#y\nb: x #y\n",
        "a: [x#y]\n",
        "a: [x #y]\n",
        "a: [http://x.y/z, 'q']\n",
        "a: [x:y]\n",
        "a: {x: [1, {y: [2, [3]]}]}\n",
        "a:b: c\n",
        "-x: 1\n",
        "a: \"\\u00e9\u{e9}\" # \u{fc}\nb\u{e9}: '\u{e9}' \n",
        "a: x\u{85}y\n",
        "a: x\u{2028}y\n",
        "a: x\u{7f}\n",
        "a: \u{0}\n",
        "just a string\n",
        "[a, b]\n",
        "a: 1\n\n\n",
        "\n\n  \na: 1\n  \n",
        "a:\n\n  b: 1\n\n\n  c: 2\n",
        "a: { a : b }\n",
        "- \u{e9}: x\n  b: y\n- \u{e9}\u{e9}:\n    - z\n",
        "- 'k'  : v\n  \"l\" : w\n",
        "a: [x]  \nb: {}   # c\n",
        "---: x\n",
        "a:\n  - x\n  # c\n\n  - y\n",
        "- a\n  b\n",
        "- a: x\n    y\n",
        "a:\n- x\nb\n",
        "a:\n- x\n  y\n",
        "a: 'x'# c\n",
        "a: \"x\" : y\n",
        "a: [\"k\": v]\n",
        "a: {\"k\":v}\n",
        "a: [- x]\n",
        "a: [-1, -x, a-b]\n",
        "a: [x, [y, {z: [w]}], {}]\n",
        "a: b\n  \n\nc: d   ",
        "\"a b\": 1\n'c''d': 2\n",
    ];

    #[test]
    fn the_fast_reader_builds_the_event_readers_tree() {
        for text in SNIPPETS {
            same(text);
        }
        let small = generated(50);
        assert!(same(&small), "the generated file was refused");
        let read: Vec<String> = super::super::yaml::fixture_texts(&[
            "examples",
            "examples/sandbox",
            "tests/invalid",
            "fuzz/corpus/load",
        ])
        .into_iter()
        .filter(|(_, text)| same(text))
        .map(|(path, _)| path.display().to_string())
        .collect();
        for example in ["ccp", "dnl", "multi-vendor", "quickstart", "thulium"] {
            assert!(
                read.iter()
                    .any(|p| p.ends_with(&format!("examples/{example}.yaml"))),
                "the fast reader refused examples/{example}.yaml"
            );
        }
        assert!(read.len() >= 30, "the fast reader read only {read:?}");
    }

    /// Random documents from the subset's grammar.
    mod grammar {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};

        /// Scalars the fast reader reads.
        const PLAIN: &[&str] = &[
            "x",
            "hello world",
            "a:b",
            "h\u{e9}llo",
            "\u{fc}",
            "0",
            "-1",
            "12",
            "1.2.3",
            "203.0.113.10",
            "true",
            "False",
            "null",
            "~",
            "yes",
            "x#y",
            "http://a.b/c",
            "e5",
            "-x",
            "a-b_c",
            "5634x",
            "agent000001@example.com",
            "it's",
            "a [b] {c}",
            "0b6f5a86-6c57-4c55-9a0e-3c1a1ad0d2f1",
            "922337203685477580",
        ];
        /// Scalars the readers leave to serde-saphyr (numbers other than plain integers).
        const NUMBERS: &[&str] = &[
            "007",
            "1.5",
            "1e3",
            "0x1F",
            "+5",
            "1_000",
            ".inf",
            "9223372036854775807",
        ];
        const QUOTED: &[&str] = &[
            "'x'",
            "'it''s'",
            "''",
            "\"y\"",
            "\"\"",
            "\"q\\\"x\"",
            "\"\\u00e9\\n\\\\\"",
            "\"a: b\"",
            "'# not a comment'",
            "\"5634\"",
        ];
        const FLOW_PLAIN: &[&str] = &["a", "b c", "1", "true", "~", "x.y", "h\u{e9}"];
        const KEYS: &[&str] = &[
            "a",
            "login",
            "b c",
            "\u{e9}t\u{e9}",
            "1",
            "true",
            "'q'",
            "\"k\"",
            "x-y",
            "a:b",
        ];

        pub struct Gen {
            rng: StdRng,
            pub strict: bool,
            out: String,
        }

        impl Gen {
            pub fn new(seed: u64, strict: bool) -> Gen {
                Gen {
                    rng: StdRng::seed_from_u64(seed),
                    strict,
                    out: String::new(),
                }
            }

            fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
                list[self.rng.random_range(0..list.len())]
            }

            fn chance(&mut self, p: f64) -> bool {
                self.rng.random_bool(p)
            }

            pub fn document(mut self) -> String {
                if self.chance(0.2) {
                    self.out.push_str("# leading comment\n\n");
                }
                if self.chance(0.7) {
                    self.map(0, 0);
                } else {
                    self.seq(0, 0);
                }
                self.out
            }

            fn scalar(&mut self) -> String {
                let r = self.rng.random_range(0..10);
                match r {
                    0..=5 => self.pick(PLAIN).to_owned(),
                    6 if !self.strict => self.pick(NUMBERS).to_owned(),
                    _ => self.pick(QUOTED).to_owned(),
                }
            }

            fn flow(&mut self, depth: usize) -> String {
                let n = self.rng.random_range(0..4);
                let pad = if self.chance(0.5) { " " } else { "" };
                let mut parts = Vec::new();
                let map = self.chance(0.5);
                for _ in 0..n {
                    let value = if depth < 3 && self.chance(0.2) {
                        self.flow(depth + 1)
                    } else if self.chance(0.7) {
                        self.pick(FLOW_PLAIN).to_owned()
                    } else {
                        self.pick(QUOTED).to_owned()
                    };
                    if map {
                        let key = self.pick(FLOW_PLAIN);
                        parts.push(format!("{key}: {value}"));
                    } else {
                        parts.push(value);
                    }
                }
                let sep = if self.chance(0.5) { ", " } else { " , " };
                let (open, close) = if map { ("{", "}") } else { ("[", "]") };
                format!("{open}{pad}{}{pad}{close}", parts.join(sep))
            }

            fn trailer(&mut self) {
                if self.chance(0.15) {
                    self.out.push_str("   # note: x");
                }
                self.out.push('\n');
                if self.chance(0.1) {
                    self.out.push('\n');
                }
                if self.chance(0.05) {
                    let pad = " ".repeat(self.rng.random_range(0..6));
                    self.out.push_str(&format!("{pad}# comment line\n"));
                }
            }

            /// Writes `key: value` lines at `indent`; the first key goes at the
            /// cursor (which may be after `- `).
            fn map(&mut self, indent: usize, depth: usize) {
                let n = self.rng.random_range(1..4);
                for k in 0..n {
                    if k > 0 {
                        self.out.push_str(&" ".repeat(indent));
                    }
                    let key = self.pick(KEYS);
                    self.out.push_str(key);
                    self.out.push(':');
                    self.value(indent, depth);
                }
            }

            fn value(&mut self, indent: usize, depth: usize) {
                match self.rng.random_range(0..10) {
                    0..=4 => {
                        let v = self.scalar();
                        self.out.push(' ');
                        self.out.push_str(&v);
                        self.trailer();
                    }
                    5 => {
                        let v = self.flow(0);
                        self.out.push(' ');
                        self.out.push_str(&v);
                        self.trailer();
                    }
                    6 => self.trailer(),
                    _ if depth >= 4 => self.trailer(),
                    7 => {
                        self.trailer();
                        let more = indent + self.rng.random_range(1..4);
                        self.out.push_str(&" ".repeat(more));
                        self.map(more, depth + 1);
                    }
                    8 => {
                        self.trailer();
                        self.out.push_str(&" ".repeat(indent));
                        self.seq(indent, depth + 1);
                    }
                    _ => {
                        self.trailer();
                        let more = indent + self.rng.random_range(1..4);
                        self.out.push_str(&" ".repeat(more));
                        self.seq(more, depth + 1);
                    }
                }
            }

            /// Writes `- item` lines at `indent`; the first dash goes at the cursor.
            fn seq(&mut self, indent: usize, depth: usize) {
                let n = self.rng.random_range(1..4);
                for k in 0..n {
                    if k > 0 {
                        self.out.push_str(&" ".repeat(indent));
                    }
                    let gap = if self.chance(0.8) { 1 } else { 3 };
                    self.out.push('-');
                    self.out.push_str(&" ".repeat(gap));
                    match self.rng.random_range(0..4) {
                        0 => {
                            let v = self.scalar();
                            self.out.push_str(&v);
                            self.trailer();
                        }
                        1 => {
                            let v = self.flow(0);
                            self.out.push_str(&v);
                            self.trailer();
                        }
                        _ => self.map(indent + 1 + gap, depth + 1),
                    }
                }
            }
        }
    }

    #[test]
    fn documents_of_the_subset_are_read_by_the_fast_reader() {
        for seed in 0..200 {
            let text = grammar::Gen::new(seed, true).document();
            assert!(same(&text), "refused:\n{text}");
        }
    }

    const MUTATIONS: &[char] = &[
        ':', '-', ' ', '#', '\'', '"', '[', ']', '{', '}', ',', '\t', '\n', '&', '*', '!', '|',
        '>', '?',
    ];

    proptest::proptest! {
        // PROPTEST_CASES=N runs more (a long differential run: release build).
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(768)
        ))]
        #[test]
        fn where_the_fast_reader_answers_it_agrees(
            seed in proptest::prelude::any::<u64>(),
            strict in proptest::prelude::any::<bool>(),
            edits in proptest::collection::vec((proptest::prelude::any::<usize>(), 0..=MUTATIONS.len()), 0..3),
        ) {
            let mut text = grammar::Gen::new(seed, strict).document();
            for (at, what) in edits {
                let mut at = at % (text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                match MUTATIONS.get(what) {
                    Some(c) => text.insert(at, *c),
                    None if at < text.len() => {
                        text.remove(at);
                    }
                    None => {}
                }
            }
            same(&text);
        }
    }

    #[test]
    fn refused_documents_still_parse_as_before() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: 1.5\nb: 007\n",
            "key: |\n  line one\n",
            "a: b\n  continued\n",
            "a:\tb\n",
            "a: x\r\nb: y\r\n",
            "---\na: 1\n",
        ] {
            assert!(parse(text).is_none(), "{text}");
            let through = yaml::parse(text);
            assert!(through.is_ok(), "{text}: {through:?}");
            if let Some(before) = events::parse(text) {
                assert_eq!(through, Ok(before), "{text}");
            }
        }
        let err = yaml::parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.is_some() && !err.limit, "{err:?}");
        let root = yaml::parse("a: &x 1\nb: *x\n").unwrap();
        match root.value {
            Value::Map(entries) => assert_eq!(entries[1].1.value, Value::Int(1)),
            other => panic!("{other:?}"),
        }
    }

    /// Rough timing of both readers on the 100,000-entry performance file.
    /// `cargo test --lib fast_yaml -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn time_both_readers_on_the_big_file() {
        let Ok(text) = std::fs::read_to_string("/tmp/perf/big100000.yaml") else {
            println!("no /tmp/perf/big100000.yaml: nothing to time");
            return;
        };
        let start = std::time::Instant::now();
        let fast = parse(&text);
        let fast_time = start.elapsed();
        let start = std::time::Instant::now();
        let slow = events::parse(&text);
        let slow_time = start.elapsed();
        assert!(fast.is_some(), "the fast reader refused the big file");
        assert!(fast == slow, "the readers differ on the big file");
        let start = std::time::Instant::now();
        assert!(plain_characters(text.as_bytes()));
        let check_time = start.elapsed();
        println!(
            "fast_yaml {fast_time:?} (of which the character check {check_time:?}), events {slow_time:?}, ratio {:.1}x",
            slow_time.as_secs_f64() / fast_time.as_secs_f64()
        );
    }
}
