//! A saved API reference page, read: its sections and tables, whichever
//! of the renderings a browser copy gives.
//!
//! - **Cells per line**: every table cell a paragraph of its own, between
//!   blank lines, and captions such as "Table 4 AttachmentVoExt";
//! - **pipe tables**: a cell per line ending in `|`, a `---|---|` line after
//!   the header, and no captions;
//! - **GitHub tables**: `| a | b |` rows.
//!
//! Everything is kept with its line number, so that what the draft cannot
//! use can be named where it is.

/// One paragraph of text, or one table.
#[derive(Debug, Clone)]
pub enum Block {
    Text(Text),
    Table(Table),
}

/// A paragraph: consecutive non-blank lines (cells-per-line), or one line.
#[derive(Debug, Clone)]
pub struct Text {
    pub line: usize,
    pub text: String,
}

/// A table: its header, and its rows of cells.
#[derive(Debug, Clone)]
pub struct Table {
    pub line: usize,
    /// "Table 4 AttachmentVoExt": the part after the number.
    pub caption: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
    /// The page ends inside the table: its last row is missing cells.
    pub cut: bool,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<String>,
}

impl Table {
    /// The column called `name`, if there is one.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }
}

/// Which rendering a page is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    CellsPerLine,
    PipeTables,
    GithubTables,
}

impl Rendering {
    pub fn name(self) -> &'static str {
        match self {
            Rendering::CellsPerLine => "cells per line",
            Rendering::PipeTables => "pipe tables",
            Rendering::GithubTables => "GitHub tables",
        }
    }
}

/// The words a table header is made of.
const HEADER_WORDS: &[&str] = &[
    "Parameter",
    "Mandatory",
    "Type",
    "Description",
    "Status Code",
    "Error Code",
    "Error Message",
    "Status",
];

/// Paragraphs that end a table in the cells-per-line rendering.
pub const HEADINGS: &[&str] = &[
    "Function",
    "Calling Method",
    "URI",
    "Request Parameters",
    "Response Parameters",
    "Example Requests",
    "Example Responses",
    "SDK Sample Code",
    "Status Codes",
    "Error Codes",
];

pub fn rendering(text: &str) -> Rendering {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    if lines
        .iter()
        .any(|l| l.starts_with("|---") || l.starts_with("| ---"))
    {
        Rendering::GithubTables
    } else if lines.iter().any(|l| l.starts_with("---|")) {
        Rendering::PipeTables
    } else {
        Rendering::CellsPerLine
    }
}

/// The page as blocks, in order.
pub fn blocks(text: &str) -> (Rendering, Vec<Block>) {
    let rendering = rendering(text);
    let blocks = match rendering {
        Rendering::CellsPerLine => cells_per_line(text),
        Rendering::PipeTables => pipe_tables(text),
        Rendering::GithubTables => github_tables(text),
    };
    (rendering, blocks)
}

/// Paragraphs with their first line's number.
fn paragraphs(text: &str) -> Vec<Text> {
    let mut out = Vec::new();
    let mut current: Option<Text> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            out.extend(current.take());
            continue;
        }
        match &mut current {
            Some(p) => {
                p.text.push('\n');
                p.text.push_str(line.trim_end());
            }
            None => {
                current = Some(Text {
                    line: i + 1,
                    text: line.trim_end().to_string(),
                })
            }
        }
    }
    out.extend(current);
    out
}

/// "Table 4 AttachmentVoExt" → "AttachmentVoExt".
pub fn caption(text: &str) -> Option<String> {
    let rest = text.strip_prefix("Table ")?;
    let (number, name) = rest.split_once(' ')?;
    (number.chars().all(|c| c.is_ascii_digit()) && !name.trim().is_empty())
        .then(|| name.trim().to_string())
}

fn is_header_word(text: &str) -> bool {
    HEADER_WORDS.contains(&text.trim())
}

pub fn is_heading(text: &str) -> bool {
    let t = text.trim();
    HEADINGS.contains(&t) || t.starts_with("Status code:")
}

fn cells_per_line(text: &str) -> Vec<Block> {
    let paragraphs = paragraphs(text);
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < paragraphs.len() {
        let p = &paragraphs[i];
        let captioned = caption(&p.text);
        let header_at = if captioned.is_some() { i + 1 } else { i };
        let starts_table = paragraphs.get(header_at).is_some_and(|h| {
            h.text == "Parameter" || h.text == "Status Code" || h.text == "Error Code"
        });
        if !starts_table {
            blocks.push(Block::Text(p.clone()));
            i += 1;
            continue;
        }
        let mut j = header_at;
        let mut header = Vec::new();
        while j < paragraphs.len() && is_header_word(&paragraphs[j].text) && header.len() < 5 {
            header.push(paragraphs[j].text.trim().to_string());
            j += 1;
        }
        let (rows, end, cut) = cell_rows(&paragraphs, j, &header);
        blocks.push(Block::Table(Table {
            line: p.line,
            caption: captioned,
            header,
            rows,
            cut,
        }));
        i = end;
    }
    blocks
}

/// Whether `text` can name a parameter or field.
pub fn is_name(text: &str) -> bool {
    let t = text.trim();
    t == "-"
        || (!t.is_empty()
            && t.len() <= 64
            && !t.contains(char::is_whitespace)
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.$@[]".contains(c))
            && !t.ends_with(':'))
}

/// The scalar type names of the Type column (`schema_of` in `draft` maps
/// each to its schema).
pub const SCALARS: &[&str] = &[
    "String",
    "Integer",
    "Long",
    "Number",
    "Boolean",
    "File",
    "Object",
    "Double",
    "Float",
    "BigDecimal",
    "Int",
    "Short",
];

/// Whether `text` is a cell of the Type column.
pub fn is_type(text: &str) -> bool {
    let t = text.trim();
    SCALARS.contains(&t)
        || t.starts_with("Array of ")
        || t.starts_with("Map<")
        || (t.ends_with(" object") && !t.contains(". ") && t.split_whitespace().count() == 2)
}

/// The rows of a cells-per-line table from paragraph `start`: each a name,
/// "Yes"/"No" under a Mandatory column, a type, then description
/// paragraphs up to the next row, caption or heading.
fn cell_rows(paragraphs: &[Text], start: usize, header: &[String]) -> (Vec<Row>, usize, bool) {
    let mandatory = header.iter().any(|h| h == "Mandatory");
    let typed = header.iter().any(|h| h == "Type");
    let row_at = |k: usize| -> bool {
        let Some(name) = paragraphs.get(k) else {
            return false;
        };
        if !typed {
            // Status codes: a number, then its description.
            return name.text.trim().chars().all(|c| c.is_ascii_digit())
                && name.text.trim().len() == 3;
        }
        if !is_name(&name.text) {
            return false;
        }
        let mut next = k + 1;
        if mandatory {
            match paragraphs.get(next).map(|p| p.text.trim()) {
                Some("Yes" | "No") => next += 1,
                _ => return false,
            }
        }
        paragraphs.get(next).is_some_and(|p| is_type(&p.text))
    };
    let ends = |k: usize| -> bool {
        let t = paragraphs[k].text.trim();
        is_heading(t) || caption(t).is_some() || t == "Parameter"
    };
    let fixed = 1 + usize::from(mandatory) + usize::from(typed);
    let mut rows = Vec::new();
    let mut k = start;
    while k < paragraphs.len() && row_at(k) {
        let line = paragraphs[k].line;
        let mut cells: Vec<String> = paragraphs[k..k + fixed]
            .iter()
            .map(|p| p.text.trim().to_string())
            .collect();
        k += fixed;
        let mut description = Vec::new();
        while k < paragraphs.len() && !row_at(k) && !ends(k) {
            description.push(paragraphs[k].text.trim().to_string());
            k += 1;
        }
        cells.push(description.join("\n"));
        rows.push(Row { line, cells });
    }
    // A table that runs to the end of the page was cut (a whole page goes
    // on to its status codes), as was one followed only by the start of a
    // row: a name and fewer cells than a row has.
    let rest = paragraphs.len().saturating_sub(k);
    let cut = rest == 0 || (rest <= fixed && is_name(&paragraphs[k].text));
    (rows, k, cut)
}

fn pipe_tables(text: &str) -> Vec<Block> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    // Where a table's header starts: header cells, then the separator.
    let header_at = |i: usize| -> Option<(usize, usize)> {
        let mut j = i;
        while j < lines.len() && j - i < 6 {
            let l = lines[j].1;
            if l.starts_with("---|") {
                let columns = l.matches("---").count();
                return (j - i == columns).then_some((columns, j + 1));
            }
            let cell = l.strip_suffix('|')?.trim();
            if !is_header_word(cell) {
                return None;
            }
            j += 1;
        }
        None
    };
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((columns, body)) = header_at(i) else {
            blocks.push(Block::Text(Text {
                line: lines[i].0,
                text: lines[i].1.to_string(),
            }));
            i += 1;
            continue;
        };
        let header = lines[i..i + columns]
            .iter()
            .map(|(_, l)| l.trim_end_matches('|').trim().to_string())
            .collect();
        let mut rows = Vec::new();
        let mut cells: Vec<String> = Vec::new();
        let mut cell = String::new();
        let mut row_line = 0;
        let mut j = body;
        while j < lines.len() {
            if cells.is_empty() && cell.is_empty() && header_at(j).is_some() {
                break;
            }
            let (n, l) = lines[j];
            // At a row's start, a line that is not a cell ends the table,
            // unless it is the page's last: the start of a row, cut off.
            let last_row_cut = j + 1 == lines.len() && is_name(l);
            if cells.is_empty() && cell.is_empty() && !l.ends_with('|') && !last_row_cut {
                break;
            }
            if cells.is_empty() && cell.is_empty() {
                row_line = n;
            }
            match l.strip_suffix('|') {
                Some(last) => {
                    if !cell.is_empty() {
                        cell.push('\n');
                    }
                    cell.push_str(last.trim());
                    cells.push(std::mem::take(&mut cell));
                    if cells.len() == columns {
                        rows.push(Row {
                            line: row_line,
                            cells: std::mem::take(&mut cells),
                        });
                    }
                }
                None => {
                    if !cell.is_empty() {
                        cell.push('\n');
                    }
                    cell.push_str(l);
                }
            }
            j += 1;
        }
        // A table that runs to the end of the page was cut.
        let cut = !cells.is_empty() || !cell.is_empty() || j >= lines.len();
        if cut {
            if !cell.is_empty() {
                cells.push(cell);
            }
            rows.push(Row {
                line: row_line,
                cells,
            });
        }
        blocks.push(Block::Table(Table {
            line: lines[i].0,
            caption: None,
            header,
            rows,
            cut,
        }));
        i = j;
    }
    blocks
}

fn github_tables(text: &str) -> Vec<Block> {
    let split = |l: &str| -> Vec<String> {
        l.trim()
            .trim_start_matches('|')
            .trim_end_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (n, l) = lines[i];
        let separator = lines
            .get(i + 1)
            .is_some_and(|(_, s)| s.starts_with("|---") || s.starts_with("| ---"));
        if !(l.starts_with('|') && separator) {
            blocks.push(Block::Text(Text {
                line: n,
                text: l.to_string(),
            }));
            i += 1;
            continue;
        }
        let header = split(l);
        let mut rows = Vec::new();
        let mut j = i + 2;
        let mut cut = false;
        while j < lines.len() && lines[j].1.starts_with('|') {
            if lines
                .get(j + 1)
                .is_some_and(|(_, s)| s.starts_with("|---") || s.starts_with("| ---"))
            {
                break;
            }
            let mut cells = split(lines[j].1);
            // A `|` inside the last cell (a regular expression) split it.
            if cells.len() > header.len() && !header.is_empty() {
                let rest = cells.split_off(header.len() - 1).join("|");
                cells.push(rest);
            }
            cut |= cells.len() != header.len() || !lines[j].1.ends_with('|');
            rows.push(Row {
                line: lines[j].0,
                cells,
            });
            j += 1;
        }
        blocks.push(Block::Table(Table {
            line: n,
            caption: None,
            header,
            rows,
            cut,
        }));
        i = j;
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_renderings_give_the_same_table() {
        let cells = "Table 1 Path Parameters\n\nParameter\n\nMandatory\n\nType\n\nDescription\n\nproject_id\n\nYes\n\nString\n\nDefinition:\n\nA project.\n\nissue_id\n\nNo\n\nString\n\nAn issue.\n\nRequest Parameters\n";
        let pipes = "Parameter |\nMandatory |\nType |\nDescription |\n---|---|---|---|\nproject_id |\nYes |\nString |\nDefinition:\nA project. |\nissue_id |\nNo |\nString |\nAn issue. |\nRequest Parameters\n";
        let github = "| Parameter | Mandatory | Type | Description |\n|---|---|---|---|\n| project_id | Yes | String | Definition: A project. |\n| issue_id | No | String | An issue. |\nRequest Parameters\n";
        for text in [cells, pipes] {
            let (_, blocks) = blocks(text);
            let Block::Table(table) = &blocks[0] else {
                panic!("{blocks:?}")
            };
            assert_eq!(
                table.header,
                ["Parameter", "Mandatory", "Type", "Description"]
            );
            assert_eq!(table.rows.len(), 2, "{table:?}");
            assert_eq!(table.rows[0].cells[..3], ["project_id", "Yes", "String"]);
            assert_eq!(table.rows[0].cells[3], "Definition:\nA project.");
            assert_eq!(table.rows[1].cells[3], "An issue.");
            assert!(!table.cut);
            assert!(matches!(&blocks[1], Block::Text(t) if t.text == "Request Parameters"));
        }
        let (rendering, blocks) = blocks(github);
        assert_eq!(rendering, Rendering::GithubTables);
        let Block::Table(table) = &blocks[0] else {
            panic!()
        };
        // One row per line: a cell cannot span lines in this rendering.
        assert_eq!(table.rows.len(), 2);
        let (_, read) = super::blocks(
            "| Parameter | Description |\n|---|---|\n| id | Regular expression: ^(RR|IR) |\nEnd\n",
        );
        let Block::Table(piped) = &read[0] else {
            panic!()
        };
        assert_eq!(piped.rows[0].cells, ["id", "Regular expression: ^(RR|IR)"]);
        assert!(!piped.cut);
        assert_eq!(
            table.rows[0].cells,
            ["project_id", "Yes", "String", "Definition: A project."]
        );
        assert!(!table.cut);
    }

    #[test]
    fn a_page_cut_in_a_table_says_so() {
        let pipes = "Parameter |\nType |\nDescription |\n---|---|---|\nid |\nString |\nAn id. |\ntitle |\nString |\nDefin";
        let (_, read) = blocks(pipes);
        let Block::Table(table) = &read[0] else {
            panic!()
        };
        assert!(table.cut);
        assert_eq!(table.rows.len(), 2);
        // Cut mid-description, at a row's start, and inside a row.
        for cells in [
            "Parameter\n\nType\n\nDescription\n\nid\n\nString\n\nAn id.\n\ntitle\n\nString\n\nThe ti",
            "Parameter\n\nType\n\nDescription\n\nid\n\nString\n\nAn id.\n\ntitle\n\nStr",
        ] {
            let (_, read) = blocks(cells);
            let Block::Table(table) = &read[0] else {
                panic!()
            };
            assert!(table.cut, "{cells}");
        }
        let pipes =
            "Parameter |\nType |\nDescription |\n---|---|---|\nid |\nString |\nAn id. |\nti";
        let (_, read) = blocks(pipes);
        let Block::Table(table) = &read[0] else {
            panic!()
        };
        assert!(table.cut);
        // A whole table, followed by the rest of the page, was not cut.
        let whole = "Parameter\n\nType\n\nDescription\n\nid\n\nString\n\nAn id.\n\nExample Requests\n\nGET /v1/x\n\nStatus Codes";
        let (_, read) = blocks(whole);
        let Block::Table(table) = &read[0] else {
            panic!()
        };
        assert!(!table.cut);
    }
}
