//! How results reach the user: one JSON object per command on stdout with `--json`
//! (scripts parse it), readable `key: value` lines otherwise; step-by-step narration and
//! progress bars only for people (never in JSON mode, never when stderr is not a
//! terminal, so logs and pipes stay clean).

use std::io::{IsTerminal, Write};

use gpunet_sdk::client::Progress;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::amount::TokenAmount;

/// The output mode of this run.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints a command's result: the JSON object, or its human rendering.
    pub fn result(&self, value: &Value) {
        if self.json {
            print_stdout(&format!("{value}\n"));
        } else {
            print_stdout(&render(value, 0));
        }
    }

    /// Prints a command's error (JSON `{"error": ...}` on stdout, or `error: ...` on
    /// stderr).
    pub fn error(&self, message: &str) {
        if self.json {
            print_stdout(&format!("{}\n", serde_json::json!({ "error": message })));
        } else {
            eprintln!("error: {message}");
        }
    }

    /// Narrates a step of a long operation (human mode only).
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.json {
            print_stdout(&format!("{}\n", line.as_ref()));
        }
    }

    /// A progress bar of `total` steps on stderr, or `None` when it must stay hidden.
    pub fn progress_bar(&self, total: usize, label: &str) -> Option<ProgressBar> {
        if self.json || !std::io::stderr().is_terminal() || total == 0 {
            return None;
        }
        let bar = ProgressBar::new(total as u64);
        let style = ProgressStyle::with_template(
            "{msg} [{bar:40.cyan/blue}] {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("a valid template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(label.to_string());
        Some(bar)
    }

    /// A callback for the sdk's multi-transaction helpers that drives a progress bar,
    /// sized from the first report's total.
    pub fn progress(&self, label: &str) -> impl FnMut(Progress) + use<> {
        let out = *self;
        let label = label.to_string();
        let mut bar: Option<Option<ProgressBar>> = None;
        move |p: Progress| {
            if let Some(bar) = bar.get_or_insert_with(|| out.progress_bar(p.total, &label)) {
                bar.set_position(p.done as u64);
                if p.failed > 0 {
                    bar.set_message(format!("failed: {}", p.failed));
                }
                if p.done == p.total {
                    bar.finish_and_clear();
                }
            }
        }
    }

    /// A token amount as printed: base units in JSON (exact, for scripts); for people,
    /// the whole-token value with its unit and the base units (`1.5 USDC (1500000u)`).
    pub fn amount(&self, amount: TokenAmount) -> Value {
        if self.json {
            Value::from(amount.units)
        } else {
            Value::from(amount.to_string())
        }
    }
}

/// Writes to stdout, ignoring a closed pipe (`gpunet ... | head` must not panic).
pub fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// `key: value` lines, nested objects indented, arrays of objects as numbered blocks.
pub fn render(value: &Value, indent: usize) -> String {
    let pad = "  ".repeat(indent);
    match value {
        Value::Object(map) => {
            let mut out = String::new();
            for (key, v) in map {
                match v {
                    Value::Object(_) => {
                        out.push_str(&format!("{pad}{key}:\n{}", render(v, indent + 1)))
                    }
                    Value::Array(items) if items.iter().any(|i| i.is_object()) => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        for (i, item) in items.iter().enumerate() {
                            out.push_str(&format!("{pad}  [{i}]\n{}", render(item, indent + 2)));
                        }
                    }
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(v))),
                }
            }
            out
        }
        other => format!("{pad}{}\n", scalar(other)),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_nested_values_as_indented_lines() {
        // Keys in sorted order: the rendering keeps the map's order, whichever it is.
        let value = serde_json::json!({
            "agent": null,
            "device": "abc",
            "epochs": [1, 2],
            "hires": [ { "epochs": 2 } ],
            "specs": { "gpus": 8 },
        });
        assert_eq!(
            render(&value, 0),
            "agent: -\ndevice: abc\nepochs: 1, 2\nhires:\n  [0]\n    epochs: 2\nspecs:\n  gpus: 8\n"
        );
    }
}
