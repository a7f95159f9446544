//! Words for counts in messages, for every layer (the file's problems, the
//! drivers' errors, the plan's text).

/// `one` or `many`, as `n` asks: "it" or "them".
pub fn word<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `n` and its noun: "1 account", "3 accounts".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", word(n, one, many))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(plural(1, "account", "accounts"), "1 account");
        assert_eq!(plural(0, "account", "accounts"), "0 accounts");
        assert_eq!(word(2, "it", "them"), "them");
    }
}
