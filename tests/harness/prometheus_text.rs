//! A strict reader of the Prometheus text exposition format (0.0.4), as a
//! scraper reads `/metrics`: every line a comment (`# TYPE`, `# HELP`) or a
//! sample `name{label="value",...} number`, every sample of a declared
//! family. A malformed line is an error naming it, so a test that reads a
//! value has also checked that the whole page parses.

use std::collections::{BTreeMap, HashMap};

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A parsed page: its samples and each family's declared type.
#[derive(Debug, Default)]
pub struct Scrape {
    pub samples: Vec<Sample>,
    pub types: HashMap<String, String>,
}

impl Scrape {
    /// Parses a whole page, or names its first bad line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut scrape = Self::default();
        for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
            if let Some(comment) = line.strip_prefix('#') {
                let words: Vec<&str> = comment.split_whitespace().collect();
                if let ["TYPE", family, kind] = words[..] {
                    let known = ["counter", "gauge", "histogram", "summary", "untyped"];
                    if !known.contains(&kind) {
                        return Err(format!("unknown type in `{line}`"));
                    }
                    scrape.types.insert(family.to_owned(), kind.to_owned());
                }
                continue;
            }
            let sample = parse_sample(line).ok_or_else(|| format!("not a sample: `{line}`"))?;
            if !scrape.is_declared(&sample.name) {
                return Err(format!("sample of an undeclared family: `{line}`"));
            }
            scrape.samples.push(sample);
        }
        Ok(scrape)
    }

    /// Whether a sample's name is a declared family's (`x_bucket` is `x`'s).
    fn is_declared(&self, name: &str) -> bool {
        self.types.contains_key(name)
            || ["_bucket", "_sum", "_count"].iter().any(|suffix| {
                name.strip_suffix(suffix)
                    .is_some_and(|family| self.types.contains_key(family))
            })
    }

    /// The value of the sample with exactly these labels (0 when absent, as a
    /// counter that has not moved yet is).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .iter()
            .find(|s| s.name == name && s.labels == wanted)
            .map_or(0.0, |s| s.value)
    }

    /// The sum over every sample of `name` whose labels include these.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_sample(line: &str) -> Option<Sample> {
    let (head, value) = line.rsplit_once(' ')?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        number => number.parse().ok()?,
    };
    let (name, labels) = match head.split_once('{') {
        None => (head, BTreeMap::new()),
        Some((name, rest)) => (name, parse_labels(rest.strip_suffix('}')?)?),
    };
    is_name(name).then(|| Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

fn parse_labels(mut text: &str) -> Option<BTreeMap<String, String>> {
    let mut labels = BTreeMap::new();
    while !text.is_empty() {
        let (name, rest) = text.split_once("=\"")?;
        if !is_name(name) {
            return None;
        }
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    escaped => value.push(escaped),
                },
                (_, c) => value.push(c),
            }
        };
        labels.insert(name.to_owned(), value);
        text = &rest[end + 1..];
        text = text.strip_prefix(',').unwrap_or(text);
    }
    Some(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_families_samples_and_labels_and_refuses_garbage() {
        let page = "# TYPE a_total counter\na_total{x=\"1\",y=\"q\\\"\"} 3\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 2\n";
        let scrape = Scrape::parse(page).unwrap();
        assert_eq!(scrape.value("a_total", &[("x", "1"), ("y", "q\"")]), 3.0);
        assert_eq!(scrape.value("h_count", &[]), 2.0);
        assert_eq!(scrape.sum("h_bucket", &[]), 2.0);
        assert!(Scrape::parse("nonsense here").is_err());
        assert!(Scrape::parse("undeclared 1").is_err());
    }
}
