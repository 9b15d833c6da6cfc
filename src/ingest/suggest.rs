//! `ecom ingest --suggest-mapping FILE`: a commented column mapping with the best
//! guesses from a file's header and a sample of its values, for the user to check.
//! Each field goes to the column whose name fits best, among those whose values fit
//! (a quantity column of whole numbers, a date column of dates); the formats (delimiter,
//! decimal mark, date order) are read from the values.

use std::fmt::Write;

use super::dialect::TimestampFormat;
use super::formats::{self, Format, ReadOptions, TextTable};

/// Rows looked at for value shapes and formats.
const SAMPLE_ROWS: usize = 5_000;

/// What kind of values a field takes.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Whole,
    Number,
    Date,
    Email,
}

/// A field of the mapping, the words that name it in headers (best first), and its kind.
struct Target {
    field: &'static str,
    words: &'static [&'static str],
    kind: Kind,
    required: bool,
}

const TARGETS: &[Target] = &[
    Target {
        field: "invoice_no",
        words: &[
            "invoice",
            "order number",
            "order no",
            "order id",
            "order",
            "receipt",
            "bill",
            "bestell",
            "rechnung",
            "commande",
            "factura",
            "pedido",
            "transaction",
            "txn",
        ],
        kind: Kind::Text,
        required: true,
    },
    Target {
        field: "stock_code",
        words: &[
            "sku",
            "stock code",
            "stockcode",
            "product code",
            "item code",
            "article",
            "artikel",
            "product id",
            "item id",
            "reference",
            "ean",
            "code",
        ],
        kind: Kind::Text,
        required: true,
    },
    Target {
        field: "description",
        words: &[
            "description",
            "product name",
            "item name",
            "title",
            "bezeichnung",
            "libelle",
            "product",
            "item",
        ],
        kind: Kind::Text,
        required: false,
    },
    Target {
        field: "quantity",
        words: &[
            "quantity", "qty", "units", "menge", "anzahl", "quantite", "cantidad", "count",
        ],
        kind: Kind::Whole,
        required: true,
    },
    Target {
        field: "invoice_date",
        words: &[
            "invoice date",
            "order date",
            "created",
            "date",
            "time",
            "datum",
            "timestamp",
            "sold",
            "placed",
            "purchased",
        ],
        kind: Kind::Date,
        required: true,
    },
    Target {
        field: "unit_price",
        words: &[
            "unit price",
            "unitprice",
            "price each",
            "item price",
            "price",
            "preis",
            "prix",
            "rate",
        ],
        kind: Kind::Number,
        required: true,
    },
    Target {
        field: "customer_email",
        words: &["email", "e-mail", "mail"],
        kind: Kind::Email,
        required: false,
    },
    Target {
        field: "customer_id",
        words: &[
            "customer id",
            "customerid",
            "customer",
            "client",
            "buyer",
            "user id",
            "kunde",
        ],
        kind: Kind::Whole,
        required: false,
    },
    Target {
        field: "country",
        words: &[
            "country",
            "land",
            "pays",
            "nation",
            "ship to",
            "shipping",
            "destination",
            "region",
        ],
        kind: Kind::Text,
        required: false,
    },
    Target {
        field: "currency",
        words: &["currency", "curr", "waehrung", "devise"],
        kind: Kind::Text,
        required: false,
    },
];

/// The suggested mapping for a file's content, as commented TOML.
pub fn suggest(
    bytes: Vec<u8>,
    name: &str,
    sheet: Option<&str>,
) -> Result<String, super::read_error::ReadError> {
    let format = Format::sniff(&bytes);
    let delimiter = (format == Format::Csv).then(|| {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]).into_owned();
        super::dialect::detect_delimiter(head.lines().next().unwrap_or(""))
    });
    let table = formats::read(
        bytes,
        format,
        name,
        &ReadOptions {
            delimiter,
            sheet: sheet.map(String::from),
            max_inflated_bytes: super::options::DEFAULT_MAX_INFLATED_BYTES,
        },
    )?;
    Ok(write(&table, format, delimiter, name))
}

/// The sample values of one column.
fn sample(table: &TextTable, column: usize) -> Vec<&str> {
    table
        .rows
        .iter()
        .take(SAMPLE_ROWS)
        .filter_map(|r| r.cells.get(column)?.as_deref())
        .collect()
}

fn normalise(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// How well a header name fits a target: higher for an earlier word and a closer match.
fn name_score(header: &str, target: &Target) -> u32 {
    let header = normalise(header);
    let squashed = header.replace(' ', "");
    target
        .words
        .iter()
        .enumerate()
        .filter_map(|(rank, word)| {
            let word = &normalise(word);
            let word_squashed = word.replace(' ', "");
            let base = 100 - rank as u32 * 5;
            if header == *word || squashed == word_squashed {
                Some(base + 50)
            } else if header.split(' ').any(|w| w == *word) || header.contains(word) {
                Some(base)
            } else {
                None
            }
        })
        .max()
        .unwrap_or(0)
}

/// Whether most of a column's sample has the values a target needs.
fn fits(values: &[&str], kind: Kind, decimal: char) -> bool {
    if values.is_empty() {
        return kind == Kind::Text;
    }
    let share = |ok: &dyn Fn(&str) -> bool| {
        values.iter().filter(|v| ok(v)).count() * 10 >= values.len() * 9
    };
    let number = |v: &str| {
        let v = v.replace(decimal, ".");
        v.trim_start_matches(['-', '+']).parse::<f64>().is_ok()
    };
    match kind {
        Kind::Text => true,
        Kind::Email => share(&|v| v.contains('@')),
        Kind::Whole => {
            share(&|v| {
                let v = v.split_once(decimal).map_or(v, |(w, f)| {
                    if f.bytes().all(|b| b == b'0') { w } else { "x" }
                });
                v.trim_start_matches('-').parse::<u64>().is_ok()
            })
        }
        Kind::Number => share(&number),
        Kind::Date => share(&|v| {
            v.split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty())
                .count()
                >= 3
        }),
    }
}

/// The decimal mark of the price-like values: a comma when they use one and no point.
fn decimal_mark(table: &TextTable) -> char {
    let mut commas = 0;
    let mut points = 0;
    for row in table.rows.iter().take(SAMPLE_ROWS) {
        for value in row.cells.iter().flatten() {
            let digits = value.trim_start_matches('-');
            if let Some((whole, fraction)) = digits.split_once(',')
                && !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && (1..=2).contains(&fraction.len())
                && fraction.bytes().all(|b| b.is_ascii_digit())
            {
                commas += 1;
            } else if let Some((whole, fraction)) = digits.split_once('.')
                && whole.bytes().all(|b| b.is_ascii_digit())
                && !fraction.is_empty()
                && fraction.bytes().all(|b| b.is_ascii_digit())
            {
                points += 1;
            }
        }
    }
    if commas > points { ',' } else { '.' }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn write(table: &TextTable, format: Format, delimiter: Option<u8>, name: &str) -> String {
    let decimal = decimal_mark(table);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# A column mapping suggested by ecom {} for {name}\n\
         # ({format:?}, {} columns, {} rows looked at). Check every line: the guesses come\n\
         # from the column names and a sample of the values. Then:\n\
         #   ecom ingest --mapping THIS_FILE.toml {name}\n\
         # The format is described in docs/INGEST.md.",
        crate::VERSION,
        table.columns.len(),
        table.rows.len().min(SAMPLE_ROWS),
    );
    if let Ok(shape) = super::mapping::ShapeChoice::default().choose(&table.columns) {
        let _ = writeln!(
            out,
            "#\n# This header fits the preset `{}`: `ecom ingest --preset {}` reads it without a mapping.",
            shape.name(),
            shape.name()
        );
    }
    let _ = writeln!(out, "\nname = \"my-shop\"\n\n[columns]");
    let mut used: Vec<usize> = Vec::new();
    let mut date_column = None;
    let mut by_email = false;
    for target in TARGETS {
        // Customers are known by e-mail or by id, never both.
        if target.field == "customer_id" && by_email {
            continue;
        }
        let best = table
            .columns
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.contains(i))
            .map(|(i, h)| (i, name_score(h, target)))
            .filter(|&(i, score)| score > 0 && fits(&sample(table, i), target.kind, decimal))
            .max_by_key(|&(i, score)| (score, std::cmp::Reverse(i)));
        match best {
            Some((i, _)) => {
                used.push(i);
                match target.kind {
                    Kind::Date => date_column = Some(i),
                    Kind::Email => by_email = true,
                    _ => {}
                }
                let examples: Vec<String> = sample(table, i)
                    .into_iter()
                    .take(3)
                    .map(|v| v.chars().take(30).collect())
                    .collect();
                let _ = writeln!(
                    out,
                    "{} = {}{}# e.g. {}",
                    target.field,
                    toml_string(&table.columns[i]),
                    " ".repeat(28usize.saturating_sub(target.field.len() + table.columns[i].len())),
                    examples.join(" | ")
                );
            }
            None if target.required => {
                let _ = writeln!(
                    out,
                    "# {} = \"?\"   # REQUIRED: no column looked like it; name one, or {{ sql = \"…\" }}",
                    target.field
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "# {} = \"?\"   # no column looked like it (optional)",
                    target.field
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "# cancelled = {{ sql = '\"Status\" = ''cancelled''' }}   # true for lines of cancelled orders\n\
         # refund_amount = \"Refunded\"   # an order's refunded amount (adds a refund line)"
    );
    let _ = writeln!(out, "\n[format]");
    if let Some(d) = delimiter {
        let shown = if d == b'\t' {
            "tab".to_string()
        } else {
            (d as char).to_string()
        };
        let _ = writeln!(out, "delimiter = {}", toml_string(&shown));
    }
    let _ = writeln!(out, "decimal = {}", toml_string(&decimal.to_string()));
    if decimal == ',' {
        let _ = writeln!(out, "thousands = \".\"");
    }
    let order = date_column.map(|i| TimestampFormat::detect(sample(table, i).into_iter()));
    let order_name = match order {
        Some(TimestampFormat::DayFirst) => "day-first",
        Some(TimestampFormat::MonthFirst) => "month-first",
        Some(TimestampFormat::Iso) => "iso",
        None => "auto",
    };
    let _ = writeln!(
        out,
        "date_order = \"{order_name}\"   # or date_format = \"%d.%m.%Y %H:%M\" (chrono strftime)\n\
         # timezone = \"UTC\"   # the zone of times written without an offset\n\
         # currency = \"EUR\"   # when no currency column is mapped"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_never_seen_shape_gets_a_mapping_that_reads() {
        let csv = "Bestellnummer;Artikel-Nr;Bezeichnung;Menge;Datum;Einzelpreis;Kunde;Land\n\
                   A-1;4711;Tasse;2;13.01.2024 10:00;3,50;501;Deutschland\n\
                   A-2;4712;Teller;1;14.01.2024 11:30;12,00;502;Österreich\n";
        let text = suggest(csv.as_bytes().to_vec(), "shop.csv", None).unwrap();
        let mapping = super::super::mapping::Mapping::parse(&text, "suggested")
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let column = |e: &Option<super::super::mapping::Expr>| format!("{e:?}");
        assert!(
            column(&mapping.columns.quantity).contains("Menge"),
            "{text}"
        );
        assert!(
            column(&mapping.columns.unit_price).contains("Einzelpreis"),
            "{text}"
        );
        assert!(
            column(&mapping.columns.invoice_date).contains("Datum"),
            "{text}"
        );
        assert!(
            column(&mapping.columns.customer_id).contains("Kunde"),
            "{text}"
        );
        assert!(column(&mapping.columns.country).contains("Land"), "{text}");
        assert_eq!(mapping.delimiter(), Some(b';'));
        assert_eq!(mapping.number_format().decimal, ',');
        assert_eq!(
            mapping.format.date_order,
            super::super::mapping::DateOrder::DayFirst
        );
    }

    #[test]
    fn a_preset_header_is_pointed_out() {
        let csv = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
                   536365,85123A,HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom\n";
        let text = suggest(csv.as_bytes().to_vec(), "x.csv", None).unwrap();
        assert!(text.contains("--preset uci"), "{text}");
    }
}
