//! Member and organization spreadsheets: reading `.csv` / `.xlsx` files with Chinese
//! column headers into raw rows, and writing the member export and the import
//! templates. Pure file handling: no database, no HTTP, no async.
//!
//! Reading:
//! - CSV is streamed record by record (only the current record is held). UTF-8 with or
//!   without BOM is read as is; a file whose first 64 KiB are not UTF-8 but are valid
//!   GBK/GB18030 (what Excel on Chinese Windows saves as “CSV (逗号分隔)”) is decoded as GBK.
//! - XLSX (first worksheet) is read with calamine's cell reader on a helper thread that
//!   hands rows over a small bounded channel, so the sheet is never materialized as a
//!   whole; only the workbook's shared-string table is held in memory. A panic inside
//!   calamine on a malformed file ends that thread and surfaces as a `RowError`.
//! - Headers are matched after removing all whitespace (full-width spaces included), a BOM
//!   and `*` marks; aliases used in county sheets are accepted; unknown columns are skipped.
//!   Title rows above the header (e.g. a merged “党员花名册” row) are skipped: the header is
//!   the first row, among the first ten non-blank ones, in which two or more columns are
//!   recognized. Row numbers are always the real line/row numbers of the file.
//! - Hostile files are bounded (see [`super::sheet_limits`]): an .xlsx is checked (zip sizes,
//!   ratios, the XML calamine will read) before calamine opens it; a CSV record or xlsx row is
//!   refused past a byte budget and a cell past a character cap, each with its own code.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Chain, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use calamine::{open_workbook_from_rs, DataRef, Reader, SheetType, SheetVisible, Xlsx, XlsxError};
use chrono::{Datelike, Duration, NaiveDate};
use rust_xlsxwriter::{Color, DataValidation, Format, FormatBorder, Workbook, Worksheet, XlsxError as WriteError};

use super::id_card::IdCardNumber;
use super::model::{Education, Gender, MemberStatus, Post};
use super::sheet_limits::{self, BudgetReader, MAX_CELL_CHARS, MAX_ROW_BYTES, XLSX_CHANNEL_ROWS};
use super::validate::{parse_date, MemberInput, COLUMNS};
use crate::orgs::model::{OrgDomain, OrgKind, OrgVariant};

// ---------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------

/// Organization sheet columns: (field of [`OrgRow`], Chinese header).
pub const ORG_COLUMNS: &[(&str, &str)] = &[
    ("code", "党组织编码"),
    ("parent_code", "上级党组织编码"),
    ("name", "党组织名称"),
    ("kind", "党组织类别"),
    ("variant", "组织形式"),
    ("domain", "所属领域"),
    ("joint_units", "联合单位数"),
    ("term_start", "本届任期开始日期"),
    ("founded_on", "成立日期"),
];

/// A spreadsheet row turned into raw member fields. `row` is the 1-based line/row number as the
/// user sees it in Excel or a text editor (the header is row 1, the first data row is row 2).
#[derive(Clone, Debug)]
pub struct MemberRow {
    pub row: usize,
    /// 所在党组织编码, trimmed; empty when the cell is blank.
    pub org_code: String,
    /// Raw fields; `org_id` and `report_org_id` are left `None` for the caller to resolve.
    pub input: MemberInput,
}

/// A spreadsheet row of the organization sheet; every field trimmed, empty when blank.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgRow {
    pub row: usize,
    pub code: String,
    pub parent_code: String,
    pub name: String,
    pub kind: String,
    pub variant: String,
    pub domain: String,
    pub joint_units: String,
    pub term_start: String,
    pub founded_on: String,
}

/// One problem with a file or a row: where (row, column header) and, in Chinese, what is
/// wrong and how to fix it. `row` 0 means the file as a whole could not be read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub message: String,
    /// A stable code for refusals past a limit (`spreadsheet_too_large`, `cell_too_long`,
    /// `row_too_long`: see [`super::sheet_limits`]); absent for ordinary row errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub code: Option<&'static str>,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, self.column.is_empty()) {
            (0, _) => write!(f, "{}", self.message),
            (r, true) => write!(f, "第{r}行：{}", self.message),
            (r, false) => write!(f, "第{r}行“{}”：{}", self.column, self.message),
        }
    }
}

impl std::error::Error for RowError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
}

impl FileKind {
    /// By extension, case-insensitive: `.csv` → Csv; `.xlsx` / `.xlsm` → Xlsx; anything else
    /// (including the old binary `.xls`) → None.
    pub fn from_name(file_name: &str) -> Option<FileKind> {
        let ext = Path::new(file_name.trim()).extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(FileKind::Csv),
            "xlsx" | "xlsm" => Some(FileKind::Xlsx),
            _ => None,
        }
    }

    /// By content: a zip (`PK\x03\x04`) → Xlsx; text that is UTF-8 (with or without BOM, a
    /// character cut at the end of `first_bytes` allowed) or GBK, without NUL bytes → Csv;
    /// anything else (old `.xls`, UTF-16, binary) → None.
    pub fn sniff(first_bytes: &[u8]) -> Option<FileKind> {
        if first_bytes.starts_with(ZIP_MAGIC) {
            return Some(FileKind::Xlsx);
        }
        if first_bytes.starts_with(CFB_MAGIC) {
            return None;
        }
        let text = first_bytes.strip_prefix(UTF8_BOM).unwrap_or(first_bytes);
        if text.contains(&0) {
            return None;
        }
        if is_utf8_prefix(text, false) || is_gbk_prefix(text) {
            return Some(FileKind::Csv);
        }
        None
    }
}

/// Opens a file and yields member rows one at a time. See the module docs.
pub struct MemberRows {
    src: Source,
    layout: Layout,
}

impl MemberRows {
    /// A file-level problem (unreadable, not xlsx/csv, missing required header, duplicate
    /// header, empty file) is returned here, before any row: row 0 when the file cannot be
    /// read at all, otherwise the header row (1 unless title rows precede it).
    pub fn open(path: &Path, kind: FileKind) -> Result<MemberRows, RowError> {
        let mut src = Source::open(path, kind)?;
        let layout = read_header(&mut src, &MEMBER_SCHEMA)?;
        Ok(MemberRows { src, layout })
    }

    /// The same from bytes in memory (tests, fuzzing); `kind` as the file name would say.
    pub fn from_bytes(bytes: Vec<u8>, kind: FileKind) -> Result<MemberRows, RowError> {
        let mut src = Source::from_input(Box::new(Cursor::new(bytes)), kind)?;
        let layout = read_header(&mut src, &MEMBER_SCHEMA)?;
        Ok(MemberRows { src, layout })
    }
}

impl Iterator for MemberRows {
    type Item = Result<MemberRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (row, mut vals) = match next_values(&mut self.src, &self.layout, &MEMBER_SCHEMA)? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let mut org_code = String::new();
        let mut input = MemberInput::default();
        for (i, (field, _)) in COLUMNS.iter().enumerate() {
            let v = vals[i].take();
            match *field {
                "org_code" => org_code = v.unwrap_or_default(),
                "name" => input.name = v,
                "id_number" => input.id_number = v,
                "gender" => input.gender = v,
                "birth_date" => input.birth_date = v,
                "ethnicity" => input.ethnicity = v,
                "education" => input.education = v,
                "phone" => input.phone = v,
                "joined_on" => input.joined_on = v,
                "full_on" => input.full_on = v,
                "status" => input.status = v,
                "posts" => input.posts = v,
                "vanguard_post" => input.vanguard_post = v,
                "responsibility_area" => input.responsibility_area = v,
                "in_service" => input.in_service = v.map(|s| s == YES),
                "work_unit" => input.work_unit = v,
                _ => {}
            }
        }
        Some(Ok(MemberRow { row, org_code, input }))
    }
}

/// Opens a file and yields organization rows one at a time; same rules as [`MemberRows`].
pub struct OrgRows {
    src: Source,
    layout: Layout,
}

impl OrgRows {
    pub fn open(path: &Path, kind: FileKind) -> Result<OrgRows, RowError> {
        let mut src = Source::open(path, kind)?;
        let layout = read_header(&mut src, &ORG_SCHEMA)?;
        Ok(OrgRows { src, layout })
    }

    /// The same from bytes in memory (tests, fuzzing).
    pub fn from_bytes(bytes: Vec<u8>, kind: FileKind) -> Result<OrgRows, RowError> {
        let mut src = Source::from_input(Box::new(Cursor::new(bytes)), kind)?;
        let layout = read_header(&mut src, &ORG_SCHEMA)?;
        Ok(OrgRows { src, layout })
    }
}

impl Iterator for OrgRows {
    type Item = Result<OrgRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (row, mut vals) = match next_values(&mut self.src, &self.layout, &ORG_SCHEMA)? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let mut out = OrgRow {
            row,
            ..Default::default()
        };
        for (i, (field, _)) in ORG_COLUMNS.iter().enumerate() {
            let v = vals[i].take().unwrap_or_default();
            match *field {
                "code" => out.code = v,
                "parent_code" => out.parent_code = v,
                "name" => out.name = v,
                "kind" => out.kind = v,
                "variant" => out.variant = v,
                "domain" => out.domain = v,
                "joint_units" => out.joint_units = v,
                "term_start" => out.term_start = v,
                "founded_on" => out.founded_on = v,
                _ => {}
            }
        }
        Some(Ok(out))
    }
}

/// Rows of a sheet described by another module's [`Schema`] (households, …): each row's
/// values by column index of `schema.columns`; same rules as [`MemberRows`].
pub(crate) struct SheetRows {
    src: Source,
    layout: Layout,
    schema: &'static Schema,
}

impl SheetRows {
    pub(crate) fn open(path: &Path, kind: FileKind, schema: &'static Schema) -> Result<SheetRows, RowError> {
        let mut src = Source::open(path, kind)?;
        let layout = read_header(&mut src, schema)?;
        Ok(SheetRows { src, layout, schema })
    }

    pub(crate) fn from_bytes(bytes: Vec<u8>, kind: FileKind, schema: &'static Schema) -> Result<SheetRows, RowError> {
        let mut src = Source::from_input(Box::new(Cursor::new(bytes)), kind)?;
        let layout = read_header(&mut src, schema)?;
        Ok(SheetRows { src, layout, schema })
    }
}

impl Iterator for SheetRows {
    type Item = Result<(usize, Vec<Option<String>>), RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        next_values(&mut self.src, &self.layout, self.schema)
    }
}

/// The header row of the member template, in COLUMNS order.
pub fn member_headers() -> Vec<&'static str> {
    COLUMNS.iter().map(|(_, l)| *l).collect()
}

/// The header row of the organization template, in ORG_COLUMNS order.
pub fn org_headers() -> Vec<&'static str> {
    ORG_COLUMNS.iter().map(|(_, l)| *l).collect()
}

/// One exported member, already masked or not by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberExportRow {
    pub org_code: String,
    pub org_name: String,
    pub name: String,
    pub id_number: String,
    pub gender: String,
    pub birth_date: String,
    pub ethnicity: String,
    pub education: String,
    pub phone: String,
    pub joined_on: String,
    pub full_on: String,
    pub status: String,
    pub posts: String,
    pub vanguard_post: String,
    pub responsibility_area: String,
    pub in_service: String,
    pub work_unit: String,
}

impl MemberExportRow {
    /// In [`export_headers`] order.
    fn cells(&self) -> [&str; 17] {
        [
            &self.org_code,
            &self.org_name,
            &self.name,
            &self.id_number,
            &self.gender,
            &self.birth_date,
            &self.ethnicity,
            &self.education,
            &self.phone,
            &self.joined_on,
            &self.full_on,
            &self.status,
            &self.posts,
            &self.vanguard_post,
            &self.responsibility_area,
            &self.in_service,
            &self.work_unit,
        ]
    }
}

/// The export's extra column, placed right after 所在党组织编码.
pub const ORG_NAME_HEADER: &str = "所在党组织名称";

/// Writes an .xlsx with a bold header row in the member template layout (plus a 所在党组织名称
/// column after the org code), columns sized, the header frozen; returns the bytes. Rows are
/// written as they come in constant-memory mode (cell data goes to a temp file, not RAM); every
/// cell is text, so ID numbers and phones keep all their digits.
pub fn write_members_xlsx(sheet_title: &str, rows: impl Iterator<Item = MemberExportRow>) -> Result<Vec<u8>, String> {
    let headers = export_headers();
    let fields = export_fields();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory();
    ws.set_name(sheet_name(sheet_title)).map_err(write_err)?;
    let text = text_format();
    for (c, (field, header)) in fields.iter().zip(&headers).enumerate() {
        let c = c as u16;
        ws.set_column_width(c, column_width(field, header)).map_err(write_err)?;
        if is_text_field(field) {
            ws.set_column_format(c, &text).map_err(write_err)?;
        }
    }
    write_header_row(ws, &headers)?;
    ws.set_freeze_panes(1, 0).map_err(write_err)?;
    let body = Format::new();
    for (i, r) in rows.enumerate() {
        if i >= MAX_XLSX_DATA_ROWS {
            return Err(format!(
                "导出行数超过 Excel 单表上限 {MAX_XLSX_DATA_ROWS} 行，请缩小导出范围（如按党组织分别导出）"
            ));
        }
        let row = (i + 1) as u32;
        for (c, (v, field)) in r.cells().iter().zip(&fields).enumerate() {
            if v.is_empty() {
                continue;
            }
            let fmt = if is_text_field(field) { &text } else { &body };
            ws.write_string_with_format(row, c as u16, *v, fmt).map_err(write_err)?;
        }
    }
    wb.save_to_buffer().map_err(write_err)
}

/// A blank member template (headers + one example row, text-formatted ID/phone/code columns,
/// drop-down lists for closed vocabularies, and a 填写说明 sheet) so users know the layout.
pub fn member_template_xlsx() -> Result<Vec<u8>, String> {
    let headers = member_headers();
    let example_id = IdCardNumber::build(110101, ymd(1975, 6, 1), 11).to_string();
    let example = |field: &str| -> Example {
        match field {
            "org_code" => Example::Text("0010001".into()),
            "name" => Example::Text("王建国".into()),
            "id_number" => Example::Text(example_id.clone()),
            "gender" => Example::Text("男".into()),
            "birth_date" => Example::Date(ymd(1975, 6, 1)),
            "ethnicity" => Example::Text("汉族".into()),
            "education" => Example::Text("大学本科".into()),
            "phone" => Example::Text("13800000000".into()),
            "joined_on" => Example::Date(ymd(2001, 7, 1)),
            "full_on" => Example::Date(ymd(2002, 7, 1)),
            "status" => Example::Text("正式党员".into()),
            "posts" => Example::Text("书记".into()),
            "vanguard_post" => Example::Text("政策宣传岗".into()),
            "responsibility_area" => Example::Text("第一村民小组".into()),
            "in_service" => Example::Text(NO.into()),
            "work_unit" => Example::Text("某某村村民委员会".into()),
            _ => Example::Text(String::new()),
        }
    };
    let genders: Vec<&str> = Gender::ALL.iter().map(|g| g.label()).collect();
    let educations: Vec<&str> = Education::ALL.iter().map(|e| e.label()).collect();
    let statuses: Vec<&str> = MemberStatus::ALL.iter().map(|s| s.label()).collect();
    let lists: Vec<(&str, Vec<&str>)> = vec![
        ("gender", genders),
        ("education", educations),
        ("status", statuses),
        ("in_service", vec![YES, NO]),
    ];
    let notes: Vec<(&str, &str, String)> = COLUMNS
        .iter()
        .map(|(field, label)| {
            let (need, note) = member_note(field);
            (*label, need, note)
        })
        .collect();
    template_xlsx("党员信息", COLUMNS, &headers, &example, &lists, &notes)
}

/// A blank organization template (headers + one example row, drop-down lists, 填写说明 sheet).
pub fn org_template_xlsx() -> Result<Vec<u8>, String> {
    let headers = org_headers();
    let example = |field: &str| -> Example {
        match field {
            "code" => Example::Text("0010001".into()),
            "parent_code" => Example::Text("001".into()),
            "name" => Example::Text("中共某某村支部委员会".into()),
            "kind" => Example::Text(OrgKind::Branch.label().into()),
            "variant" => Example::Text(OrgVariant::Regular.label().into()),
            "domain" => Example::Text(OrgDomain::Rural.label().into()),
            "joint_units" => Example::Text(String::new()),
            "term_start" => Example::Date(ymd(2021, 6, 1)),
            "founded_on" => Example::Date(ymd(1956, 7, 1)),
            _ => Example::Text(String::new()),
        }
    };
    let kinds: Vec<&str> = OrgKind::ALL.iter().map(|k| k.label()).collect();
    let variants: Vec<&str> = OrgVariant::ALL.iter().map(|k| k.label()).collect();
    let domains: Vec<&str> = OrgDomain::ALL.iter().map(|k| k.label()).collect();
    let lists: Vec<(&str, Vec<&str>)> = vec![("kind", kinds), ("variant", variants), ("domain", domains)];
    let notes: Vec<(&str, &str, String)> = ORG_COLUMNS
        .iter()
        .map(|(field, label)| {
            let (need, note) = org_note(field);
            (*label, need, note)
        })
        .collect();
    template_xlsx("党组织信息", ORG_COLUMNS, &headers, &example, &lists, &notes)
}

// ---------------------------------------------------------------------------------------
// Schemas: which headers mean which field, and how each field's cells are read
// ---------------------------------------------------------------------------------------

const YES: &str = "是";
const NO: &str = "否";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Free text; a number comes back without ".0" or exponent, a date as YYYY-MM-DD.
    Text,
    /// Like Text, also unwraps the `'123` and `="123"` tricks used to keep digits as text.
    Code,
    /// 公民身份号码: a numeric cell (or its exponent form in CSV) is refused.
    IdNumber,
    /// Excel dates and date serials become YYYY-MM-DD; text is kept as typed.
    Date,
    /// 是/否 and common spellings; anything else is refused.
    YesNo,
}

pub(crate) struct Schema {
    /// (field, Chinese header)
    pub(crate) columns: &'static [(&'static str, &'static str)],
    /// (header as written in real sheets, field)
    pub(crate) aliases: &'static [(&'static str, &'static str)],
    pub(crate) required: &'static [&'static str],
    pub(crate) kind: fn(&str) -> Kind,
    /// What one row is, for messages (党员, 党组织, 居民).
    pub(crate) what: &'static str,
}

static MEMBER_SCHEMA: Schema = Schema {
    columns: COLUMNS,
    aliases: &[
        ("身份证号", "id_number"),
        ("身份证号码", "id_number"),
        ("公民身份证号", "id_number"),
        ("公民身份证号码", "id_number"),
        ("党组织编码", "org_code"),
        ("所属党组织编码", "org_code"),
        ("党组织代码", "org_code"),
        ("手机", "phone"),
        ("手机号", "phone"),
        ("手机号码", "phone"),
        ("联系方式", "phone"),
        ("入党时间", "joined_on"),
        ("转正日期", "full_on"),
        ("转正时间", "full_on"),
        ("党员类别", "status"),
        ("人员身份", "status"),
        ("职务", "posts"),
        ("文化程度", "education"),
        ("学历学位", "education"),
    ],
    required: &["org_code", "name", "id_number", "education", "joined_on"],
    kind: member_kind,
    what: "党员",
};

fn member_kind(field: &str) -> Kind {
    match field {
        "org_code" | "phone" => Kind::Code,
        "id_number" => Kind::IdNumber,
        "birth_date" | "joined_on" | "full_on" => Kind::Date,
        "in_service" => Kind::YesNo,
        _ => Kind::Text,
    }
}

static ORG_SCHEMA: Schema = Schema {
    columns: ORG_COLUMNS,
    aliases: &[
        ("党组织代码", "code"),
        ("上级党组织代码", "parent_code"),
        ("党组织全称", "name"),
        ("成立时间", "founded_on"),
    ],
    required: &["code", "parent_code", "name", "kind", "domain"],
    kind: org_kind,
    what: "党组织",
};

fn org_kind(field: &str) -> Kind {
    match field {
        "code" | "parent_code" => Kind::Code,
        "term_start" | "founded_on" => Kind::Date,
        _ => Kind::Text,
    }
}

impl Schema {
    fn label(&self, field: usize) -> &'static str {
        self.columns[field].1
    }

    /// The field a header cell names, if any.
    fn field_of(&self, header: &str) -> Option<usize> {
        let h = normalize_header(header);
        if h.is_empty() {
            return None;
        }
        self.lookup(&h).or_else(|| {
            // 入党日期（格式：2001-07-01） → 入党日期
            let cut = h.rfind(['(', '（']).filter(|_| h.ends_with([')', '）']))?;
            self.lookup(&h[..cut])
        })
    }

    fn lookup(&self, h: &str) -> Option<usize> {
        if let Some(i) = self.columns.iter().position(|(_, l)| *l == h) {
            return Some(i);
        }
        let field = self.aliases.iter().find(|(a, _)| *a == h)?.1;
        self.columns.iter().position(|(f, _)| *f == field)
    }
}

fn normalize_header(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{feff}' | '\u{200b}' | '*' | '＊'))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Header and rows
// ---------------------------------------------------------------------------------------

/// Where each known field sits in the file.
struct Layout {
    /// Number of cells in the header row (CSV field-count check).
    width: usize,
    /// Up to the last non-blank header cell.
    used: usize,
    /// (column index, field index)
    cols: Vec<(usize, usize)>,
    fields: usize,
}

/// How many non-blank rows may precede the header (title rows).
const HEADER_SEARCH_ROWS: usize = 10;

fn read_header(src: &mut Source, schema: &Schema) -> Result<Layout, RowError> {
    let mut first: Option<(usize, Vec<String>)> = None;
    let mut seen = 0;
    while let Some(next) = src.advance() {
        let row = next?;
        if let Some(e) = long_cell(src, None, schema, row) {
            return Err(e);
        }
        let cells: Vec<String> = (0..src.width()).map(|i| src.cell(i).header_text()).collect();
        if cells.iter().all(|c| normalize_header(c).is_empty()) {
            continue;
        }
        let known = cells.iter().filter(|c| schema.field_of(c).is_some()).count();
        if known >= 2 {
            return layout(schema, row, &cells);
        }
        if first.is_none() {
            first = Some((row, cells));
        }
        seen += 1;
        if seen >= HEADER_SEARCH_ROWS {
            break;
        }
    }
    match first {
        Some((row, cells)) => layout(schema, row, &cells),
        None => Err(RowError {
            row: 1,
            column: String::new(),
            message: format!(
                "文件是空的，没有表头和{}数据。请下载导入模板，按模板表头填写后再上传",
                schema.what
            ),
            code: None,
        }),
    }
}

fn layout(schema: &Schema, row: usize, cells: &[String]) -> Result<Layout, RowError> {
    let mut cols: Vec<(usize, usize)> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let Some(f) = schema.field_of(c) else { continue };
        if let Some(&(j, _)) = cols.iter().find(|(_, g)| *g == f) {
            let (a, b) = (cells[j].trim(), c.trim());
            let same = if a == b {
                format!("表头“{a}”出现了两次")
            } else {
                format!("表头“{a}”和“{b}”重复")
            };
            return Err(RowError {
                row,
                column: schema.label(f).to_string(),
                message: format!(
                    "{same}（都表示“{}”，分别在第{}列和第{}列）。请删除或改名其中一列后重新上传",
                    schema.label(f),
                    column_letters(j),
                    column_letters(i)
                ),
                code: None,
            });
        }
        cols.push((i, f));
    }
    let missing: Vec<&str> = schema
        .required
        .iter()
        .filter_map(|req| {
            let f = schema.columns.iter().position(|(n, _)| n == req)?;
            (!cols.iter().any(|(_, g)| *g == f)).then(|| schema.label(f))
        })
        .collect();
    if let Some(first) = missing.first() {
        let names = missing.iter().map(|m| format!("“{m}”")).collect::<Vec<_>>().join("、");
        return Err(RowError {
            row,
            column: first.to_string(),
            message: format!(
                "缺少必填列{names}。请下载并使用系统提供的{}导入模板，表头文字须与模板一致（表头在第一行）",
                schema.what
            ),
            code: None,
        });
    }
    let used = cells
        .iter()
        .rposition(|c| !normalize_header(c).is_empty())
        .map_or(0, |i| i + 1);
    Ok(Layout {
        width: cells.len(),
        used,
        cols,
        fields: schema.columns.len(),
    })
}

type Values = (usize, Vec<Option<String>>);

/// The next non-blank row's values by field index, or that row's error.
fn next_values(src: &mut Source, layout: &Layout, schema: &Schema) -> Option<Result<Values, RowError>> {
    loop {
        let row = match src.advance()? {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let width = src.width();
        if (0..width).all(|i| src.cell(i).is_blank()) {
            continue;
        }
        if let Some(e) = long_cell(src, Some(layout), schema, row) {
            return Some(Err(e));
        }
        // CSV: as many fields as the header has; extra trailing fields under no header must be empty.
        if src.is_csv()
            && width != layout.width
            && !(width >= layout.used && (layout.used..width).all(|i| src.cell(i).is_blank()))
        {
            return Some(Err(RowError {
                row,
                column: String::new(),
                message: format!(
                    "该行有{width}列，而表头有{}列。请检查该行是否多了或少了英文逗号；内容本身含逗号时，须用英文双引号把整格括起来",
                    layout.width
                ),
                code: None,
            }));
        }
        let mut vals = vec![None; layout.fields];
        for &(col, field) in &layout.cols {
            match convert((schema.kind)(schema.columns[field].0), src.cell(col)) {
                Ok(v) => vals[field] = v,
                Err(message) => {
                    return Some(Err(RowError {
                        row,
                        column: schema.label(field).to_string(),
                        message,
                        code: None,
                    }));
                }
            }
        }
        return Some(Ok((row, vals)));
    }
}

/// The first cell of the current row over [`MAX_CELL_CHARS`], in any column (known or not),
/// named by its header when the column is known, else by its letter.
fn long_cell(src: &Source, layout: Option<&Layout>, schema: &Schema, row: usize) -> Option<RowError> {
    (0..src.width()).find_map(|i| {
        let chars = src.cell(i).too_long()?;
        let column = layout
            .and_then(|l| l.cols.iter().find(|(c, _)| *c == i))
            .map(|&(_, f)| schema.label(f).to_string())
            .unwrap_or_else(|| format!("{}列", column_letters(i)));
        Some(sheet_limits::cell_too_long(row, column, chars))
    })
}

/// A cell as read, before the column's kind is applied.
enum CellRef<'a> {
    Empty,
    Text(Cow<'a, str>),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    /// A formula error value such as #N/A.
    Error(&'a str),
    /// CSV bytes that are not valid in the file's encoding.
    BadEncoding,
    /// Text longer than [`MAX_CELL_CHARS`]: its length in characters (the text is not kept).
    TooLong(usize),
}

/// The length in characters of a text over [`MAX_CELL_CHARS`], or None.
fn too_long(s: &str) -> Option<usize> {
    if s.len() <= MAX_CELL_CHARS {
        return None;
    }
    let chars = s.chars().count();
    (chars > MAX_CELL_CHARS).then_some(chars)
}

impl CellRef<'_> {
    fn is_blank(&self) -> bool {
        match self {
            CellRef::Empty => true,
            CellRef::Text(s) => clean(s).is_empty(),
            _ => false,
        }
    }

    fn too_long(&self) -> Option<usize> {
        match self {
            CellRef::TooLong(chars) => Some(*chars),
            _ => None,
        }
    }

    fn header_text(&self) -> String {
        match self {
            CellRef::Text(s) => s.to_string(),
            CellRef::Number(f) => number_text(*f),
            CellRef::Date(d) => d.format("%Y-%m-%d").to_string(),
            CellRef::Bool(b) => (if *b { YES } else { NO }).to_string(),
            CellRef::Empty | CellRef::Error(_) | CellRef::BadEncoding | CellRef::TooLong(_) => String::new(),
        }
    }
}

fn clean(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
}

const ID_AS_NUMBER: &str = "身份证号被存成了数字，18位号码的后几位已被 Excel 丢失，无法还原。请把“公民身份号码”整列的单元格格式设为“文本”，再重新录入该行的身份证号（或在号码前加英文单引号 '）";

/// Applies a column kind to a cell: Ok(None) for blank, Ok(Some(text)) or a message for the user.
fn convert(kind: Kind, cell: CellRef<'_>) -> Result<Option<String>, String> {
    let text = match cell {
        CellRef::Empty => return Ok(None),
        CellRef::BadEncoding => {
            return Err(
                "该格含有无法识别的字符（文件不是 UTF-8 编码）。请将文件另存为 UTF-8 编码的 CSV（Excel：文件 → 另存为 → “CSV UTF-8（逗号分隔）”），或直接上传 .xlsx 文件"
                    .into(),
            )
        }
        CellRef::Error(e) => {
            return Err(format!("该格是公式错误值 {e}。请改为实际内容（可复制该列后用“选择性粘贴 → 数值”去掉公式）"))
        }
        // Refused earlier with its own code (see `long_cell`); kept for completeness.
        CellRef::TooLong(chars) => return Err(sheet_limits::cell_too_long(0, String::new(), chars).message),
        CellRef::Text(s) => s,
        CellRef::Number(f) => {
            return match kind {
                Kind::IdNumber => Err(ID_AS_NUMBER.into()),
                Kind::YesNo if f == 1.0 => Ok(Some(YES.into())),
                Kind::YesNo if f == 0.0 => Ok(Some(NO.into())),
                Kind::YesNo => Err(yes_no_message(&number_text(f))),
                Kind::Date => Ok(Some(date_from_number(f).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| number_text(f)))),
                Kind::Text | Kind::Code => Ok(Some(number_text(f))),
            }
        }
        CellRef::Date(d) => {
            let s = d.format("%Y-%m-%d").to_string();
            return match kind {
                Kind::YesNo => Err(yes_no_message(&s)),
                _ => Ok(Some(s)),
            };
        }
        CellRef::Bool(b) => return Ok(Some((if b { YES } else { NO }).into())),
    };
    let s = clean(&text);
    if s.is_empty() {
        return Ok(None);
    }
    match kind {
        Kind::Text | Kind::Date => Ok(Some(s.to_string())),
        Kind::Code => Ok(Some(unwrap_text_marks(s).to_string())),
        Kind::IdNumber => {
            let s = unwrap_text_marks(s);
            // 1.40781E+17: what a CSV holds after Excel turned the ID into a number.
            if s.contains(['E', 'e']) && s.parse::<f64>().is_ok() {
                return Err(ID_AS_NUMBER.into());
            }
            Ok(Some(s.to_string()))
        }
        Kind::YesNo => match s.to_lowercase().as_str() {
            "是" | "y" | "yes" | "true" | "1" | "在职" => Ok(Some(YES.into())),
            "否" | "n" | "no" | "false" | "0" | "不在职" | "非在职" => Ok(Some(NO.into())),
            _ => Err(yes_no_message(s)),
        },
    }
}

fn yes_no_message(s: &str) -> String {
    format!("应填“是”或“否”，现为“{s}”。请改为“是”或“否”（不填视为“否”）")
}

/// `'0123` and `="0123"` are ways to keep leading zeros / long digits as text.
fn unwrap_text_marks(s: &str) -> &str {
    let s = s.strip_prefix('\'').unwrap_or(s);
    match s.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')) {
        Some(inner) => clean(inner),
        None => s,
    }
}

/// 13812345678.0 → "13812345678"; 2.5 → "2.5"; never an exponent.
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e17 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// A number in a date column: 20010701 typed as a number, or an Excel date serial whose
/// date format was lost. Small integers (years such as 2001) and decimals such as 2001.07
/// (year.month) are not dates and are kept as typed for validation to reject.
fn date_from_number(f: f64) -> Option<NaiveDate> {
    if !f.is_finite() {
        return None;
    }
    if f.fract() == 0.0 && (19_000_101.0..=29_991_231.0).contains(&f) {
        return NaiveDate::parse_from_str(&format!("{}", f as i64), "%Y%m%d").ok();
    }
    if (2101.0..2_958_466.0).contains(&f) && (f.fract() == 0.0 || f > 2101.0) {
        return excel_serial_date(f);
    }
    None
}

/// Excel's 1900 date system (serial 61 = 1900-03-01; its fictitious 1900-02-29 ignored).
fn excel_serial_date(f: f64) -> Option<NaiveDate> {
    let days = f.floor() as i64;
    if days < 61 {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(Duration::days(days))
}

/// Column index → Excel letters (0 → A).
fn column_letters(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Sources: CSV (streamed) and XLSX (calamine on a helper thread)
// ---------------------------------------------------------------------------------------

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const CFB_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// How much of a CSV is looked at to choose its encoding and delimiter.
const SNIFF_LEN: usize = 64 * 1024;
/// Cells beyond Excel's last column (XFD) are ignored.
const MAX_COLS: usize = 16_384;
const MAX_XLSX_DATA_ROWS: usize = 1_048_575;

enum Source {
    Csv(CsvSource),
    Xlsx(XlsxSource),
}

/// What a sheet is read from: an uploaded file, or bytes in memory (tests, fuzzing).
pub(crate) trait Input: Read + Seek + Send {}
impl<T: Read + Seek + Send> Input for T {}

fn unreadable(message: impl Into<String>) -> RowError {
    RowError {
        row: 0,
        column: String::new(),
        message: message.into(),
        code: None,
    }
}

const XLS_MESSAGE: &str = "这是旧版 Excel 97-2003（.xls）文件，系统不能直接读取。请在 Excel 或 WPS 中打开，另存为“Excel 工作簿（.xlsx）”后再上传";

impl Source {
    fn open(path: &Path, kind: FileKind) -> Result<Source, RowError> {
        let file = File::open(path).map_err(|e| unreadable(format!("无法打开文件：{e}。请重新上传")))?;
        Source::from_input(Box::new(file), kind)
    }

    fn from_input(mut file: Box<dyn Input>, kind: FileKind) -> Result<Source, RowError> {
        let mut prefix = Vec::with_capacity(SNIFF_LEN);
        (&mut file)
            .take(SNIFF_LEN as u64)
            .read_to_end(&mut prefix)
            .map_err(|e| unreadable(format!("无法读取文件：{e}。请重新上传")))?;
        let empty_text = prefix.len() < SNIFF_LEN
            && prefix
                .strip_prefix(UTF8_BOM)
                .unwrap_or(&prefix)
                .iter()
                .all(|b| b.is_ascii_whitespace());
        if empty_text {
            return Err(RowError {
                row: 1,
                column: String::new(),
                message: "文件是空的，没有表头和数据。请下载导入模板，按模板表头填写后再上传".into(),
                code: None,
            });
        }
        if prefix.starts_with(CFB_MAGIC) {
            return Err(unreadable(XLS_MESSAGE));
        }
        // Content wins over the name when it is unmistakably a workbook.
        if prefix.starts_with(ZIP_MAGIC) {
            return XlsxSource::spawn(file).map(Source::Xlsx);
        }
        match kind {
            FileKind::Xlsx => Err(unreadable(
                "文件不是有效的 Excel（.xlsx）文件，可能已损坏或只是改了扩展名。请在 Excel 或 WPS 中打开，另存为“Excel 工作簿（.xlsx）”后再上传",
            )),
            FileKind::Csv => CsvSource::new(file, prefix).map(Source::Csv),
        }
    }

    /// Moves to the next raw row; returns its 1-based row number.
    fn advance(&mut self) -> Option<Result<usize, RowError>> {
        match self {
            Source::Csv(s) => s.advance(),
            Source::Xlsx(s) => s.advance(),
        }
    }

    fn width(&self) -> usize {
        match self {
            Source::Csv(s) => s.rec.len(),
            Source::Xlsx(s) => s.cells.len(),
        }
    }

    fn cell(&self, i: usize) -> CellRef<'_> {
        match self {
            Source::Csv(s) => s.cell(i),
            Source::Xlsx(s) => s.cell(i),
        }
    }

    fn is_csv(&self) -> bool {
        matches!(self, Source::Csv(_))
    }
}

/// The sniffed prefix, then the rest of the file, through the per-record byte budget.
type CsvInput = BudgetReader<Chain<Cursor<Vec<u8>>, Box<dyn Input>>>;

struct CsvSource {
    rdr: csv::Reader<CsvInput>,
    rec: csv::ByteRecord,
    gbk: bool,
    line: usize,
    done: bool,
}

impl CsvSource {
    fn new(file: Box<dyn Input>, mut prefix: Vec<u8>) -> Result<CsvSource, RowError> {
        if prefix.starts_with(b"\xFF\xFE") || prefix.starts_with(b"\xFE\xFF") {
            return Err(unreadable(
                "文件是 UTF-16 编码（Excel 的“Unicode 文本”格式）。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再上传",
            ));
        }
        if prefix.starts_with(UTF8_BOM) {
            prefix.drain(..UTF8_BOM.len());
        }
        if prefix.contains(&0) {
            return Err(unreadable(
                "文件不是文本格式的 CSV（含有二进制内容）。请上传 .xlsx 文件，或在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
            ));
        }
        let at_eof = prefix.len() < SNIFF_LEN - UTF8_BOM.len();
        // Not UTF-8 but clean GBK: Excel on Chinese Windows. Neither: read as UTF-8 and let
        // the bad rows say so.
        let gbk = !is_utf8_prefix(&prefix, at_eof) && is_gbk_prefix(&prefix);
        let first_line = prefix.split(|b| *b == b'\n').next().unwrap_or(&[]);
        let delimiter = if !first_line.contains(&b',') && first_line.contains(&b'\t') {
            b'\t'
        } else {
            b','
        };
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(BudgetReader::new(Cursor::new(prefix).chain(file)));
        Ok(CsvSource {
            rdr,
            rec: csv::ByteRecord::new(),
            gbk,
            line: 0,
            done: false,
        })
    }

    fn advance(&mut self) -> Option<Result<usize, RowError>> {
        if self.done {
            return None;
        }
        // One record's bytes are bounded: the CSV reader buffers a whole record before
        // returning it, so the budget is enforced on the bytes it reads.
        self.rdr.get_mut().refill();
        match self.rdr.read_byte_record(&mut self.rec) {
            Ok(true) => {
                self.line = self.rec.position().map(|p| p.line() as usize).unwrap_or(self.line + 1);
                if self.rec.as_slice().len() > MAX_ROW_BYTES {
                    self.done = true;
                    self.rec.clear();
                    return Some(Err(sheet_limits::row_too_long(self.line, true)));
                }
                Some(Ok(self.line))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(_) if self.rdr.get_ref().exhausted() => {
                self.done = true;
                self.rec.clear();
                Some(Err(sheet_limits::row_too_long(self.line + 1, true)))
            }
            Err(e) => {
                self.done = true;
                self.rec.clear();
                Some(Err(RowError {
                    row: self.line + 1,
                    column: String::new(),
                    message: format!("读取文件时出错：{e}。此行及以后的内容未能读取，请检查文件是否完整后重新上传"),
                    code: None,
                }))
            }
        }
    }

    fn cell(&self, i: usize) -> CellRef<'_> {
        let Some(b) = self.rec.get(i) else {
            return CellRef::Empty;
        };
        if b.is_empty() {
            return CellRef::Empty;
        }
        let text = if self.gbk {
            match encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(b) {
                Some(s) => s,
                None => return CellRef::BadEncoding,
            }
        } else {
            match std::str::from_utf8(b) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => return CellRef::BadEncoding,
            }
        };
        match too_long(&text) {
            Some(chars) => CellRef::TooLong(chars),
            None => CellRef::Text(text),
        }
    }
}

/// Valid UTF-8, allowing a character cut off at the end when more follows.
fn is_utf8_prefix(b: &[u8], at_eof: bool) -> bool {
    match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => !at_eof && e.error_len().is_none(),
    }
}

/// Valid GBK/GB18030 (a character cut off at the end allowed).
fn is_gbk_prefix(b: &[u8]) -> bool {
    let mut dec = encoding_rs::GBK.new_decoder_without_bom_handling();
    let Some(cap) = dec.max_utf8_buffer_length_without_replacement(b.len()) else {
        return false;
    };
    let mut out = String::with_capacity(cap);
    let (res, _) = dec.decode_to_string_without_replacement(b, &mut out, false);
    !matches!(res, encoding_rs::DecoderResult::Malformed(_, _))
}

/// An XLSX cell, owned, as sent by the reader thread.
#[derive(Clone, Debug)]
enum Val {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    Error(String),
    /// Text over [`MAX_CELL_CHARS`] characters (not copied).
    TooLong(usize),
}

enum Msg {
    Row(usize, Vec<Val>),
    /// One row refused (too large to hand over); reading goes on.
    Bad(RowError),
    Fail(RowError),
    End,
}

struct XlsxSource {
    rx: Receiver<Msg>,
    /// The reader thread, joined when the source is dropped.
    thread: Option<std::thread::JoinHandle<()>>,
    row: usize,
    cells: Vec<Val>,
    done: bool,
}

/// The reader thread ends with its source: once the receiver is gone its next send fails and
/// it returns (at most one row's work later, each row being bounded), so no thread outlives
/// the import that started it.
impl Drop for XlsxSource {
    fn drop(&mut self) {
        let (_, closed) = sync_channel(0);
        drop(std::mem::replace(&mut self.rx, closed));
        if let Some(t) = self.thread.take() {
            let _ = t.join(); // Err: calamine panicked, already reported as a row error
        }
    }
}

impl XlsxSource {
    fn spawn(file: Box<dyn Input>) -> Result<XlsxSource, RowError> {
        let (tx, rx) = sync_channel(XLSX_CHANNEL_ROWS);
        let thread = std::thread::Builder::new()
            .name("xlsx-rows".into())
            .spawn(move || xlsx_reader_thread(file, tx))
            .map_err(|e| unreadable(format!("无法读取文件：{e}。请稍后重试")))?;
        Ok(XlsxSource {
            rx,
            thread: Some(thread),
            row: 0,
            cells: Vec::new(),
            done: false,
        })
    }

    fn advance(&mut self) -> Option<Result<usize, RowError>> {
        if self.done {
            return None;
        }
        match self.rx.recv() {
            Ok(Msg::Row(row, cells)) => {
                self.row = row;
                self.cells = cells;
                Some(Ok(row))
            }
            Ok(Msg::Bad(e)) => {
                self.row = e.row;
                self.cells.clear();
                Some(Err(e))
            }
            Ok(Msg::Fail(e)) => {
                self.done = true;
                self.cells.clear();
                Some(Err(e))
            }
            Ok(Msg::End) => {
                self.done = true;
                self.cells.clear();
                None
            }
            Err(_) => {
                // The thread stopped without End: calamine panicked on a malformed file.
                self.done = true;
                self.cells.clear();
                Some(Err(RowError {
                    row: if self.row == 0 { 0 } else { self.row + 1 },
                    column: String::new(),
                    message:
                        "Excel 文件内容有损坏，无法继续读取。请在 Excel 或 WPS 中打开，另存为新的 .xlsx 文件后再上传"
                            .into(),
                    code: None,
                }))
            }
        }
    }

    fn cell(&self, i: usize) -> CellRef<'_> {
        match self.cells.get(i) {
            None | Some(Val::Empty) => CellRef::Empty,
            Some(Val::Text(s)) => CellRef::Text(Cow::Borrowed(s)),
            Some(Val::Number(f)) => CellRef::Number(*f),
            Some(Val::Date(d)) => CellRef::Date(*d),
            Some(Val::Bool(b)) => CellRef::Bool(*b),
            Some(Val::Error(e)) => CellRef::Error(e),
            Some(Val::TooLong(chars)) => CellRef::TooLong(*chars),
        }
    }
}

fn xlsx_open_message(e: &XlsxError) -> String {
    match e {
        XlsxError::Password => "文件设置了打开密码，系统无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后再上传".into(),
        XlsxError::Io(e) => format!("无法读取文件：{e}。请重新上传"),
        _ => format!(
            "文件不是有效的 Excel（.xlsx）文件或已损坏（{e}）。请在 Excel 或 WPS 中打开，另存为“Excel 工作簿（.xlsx）”后再上传"
        ),
    }
}

fn xlsx_reader_thread(mut file: Box<dyn Input>, tx: SyncSender<Msg>) {
    let fail = |row: usize, message: String| {
        let _ = tx.send(Msg::Fail(RowError {
            row,
            column: String::new(),
            message,
            code: None,
        }));
    };
    // Sizes, ratios and the XML calamine will read are checked before it inflates anything.
    if let Err(e) = sheet_limits::check_xlsx(&mut file) {
        let _ = tx.send(Msg::Fail(e));
        return;
    }
    if let Err(e) = file.seek(SeekFrom::Start(0)) {
        return fail(0, format!("无法读取文件：{e}。请重新上传"));
    }
    let mut wb: Xlsx<BufReader<Box<dyn Input>>> = match open_workbook_from_rs(BufReader::new(file)) {
        Ok(wb) => wb,
        Err(e) => return fail(0, xlsx_open_message(&e)),
    };
    // The first worksheet the user can see (a hidden first sheet would surprise them).
    let sheets = wb.sheets_metadata();
    let first = sheets
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .or_else(|| sheets.iter().find(|s| s.typ == SheetType::WorkSheet))
        .map(|s| s.name.clone());
    let Some(first) = first else {
        return fail(0, "工作簿里没有工作表。请把数据填在第一个工作表中".into());
    };
    let mut cells_reader = match wb.worksheet_cells_reader(&first) {
        Ok(r) => r,
        // No <sheetData> start tag: a sheet without any cell.
        Err(XlsxError::NotAWorksheet(_)) => {
            let _ = tx.send(Msg::End);
            return;
        }
        Err(e) => return fail(0, xlsx_open_message(&e)),
    };
    let mut cur: Option<u32> = None;
    let mut cells: Vec<Val> = Vec::new();
    // The current row's memory (cells × their size plus text); past MAX_ROW_BYTES the row is
    // dropped and refused as a whole, so rows in flight stay bounded.
    let mut text_bytes = 0usize;
    let mut over = false;
    let send_row = |row: usize, cells: Vec<Val>, over: bool| -> bool {
        let msg = if over {
            Msg::Bad(sheet_limits::row_too_long(row, false))
        } else if cells.is_empty() {
            return true;
        } else {
            Msg::Row(row, cells)
        };
        tx.send(msg).is_ok()
    };
    loop {
        match cells_reader.next_cell() {
            Ok(Some(cell)) => {
                let (r, c) = cell.get_position();
                if cur != Some(r) {
                    if let Some(prev) = cur {
                        if !send_row(prev as usize + 1, std::mem::take(&mut cells), over) {
                            return; // the consumer has gone
                        }
                    }
                    cur = Some(r);
                    (text_bytes, over) = (0, false);
                }
                let c = c as usize;
                if c >= MAX_COLS || over {
                    continue;
                }
                let v = to_val(cell.get_value());
                if matches!(v, Val::Empty) {
                    continue;
                }
                if let Val::Text(s) | Val::Error(s) = &v {
                    text_bytes += s.len();
                }
                if (c + 1).max(cells.len()) * std::mem::size_of::<Val>() + text_bytes > MAX_ROW_BYTES {
                    over = true;
                    cells = Vec::new();
                    continue;
                }
                if cells.len() <= c {
                    cells.resize(c + 1, Val::Empty);
                }
                cells[c] = v;
            }
            Ok(None) => {
                if let Some(prev) = cur {
                    if !send_row(prev as usize + 1, cells, over) {
                        return;
                    }
                }
                let _ = tx.send(Msg::End);
                return;
            }
            Err(e) => {
                // The row being read is incomplete: report it instead of yielding it.
                let row = cur.map(|r| r as usize + 1).unwrap_or(1);
                return fail(
                    row,
                    format!("Excel 文件从此行起无法读取（{e}），文件可能已损坏。请在 Excel 或 WPS 中打开，另存为新的 .xlsx 文件后再上传"),
                );
            }
        }
    }
}

fn to_val(d: &DataRef<'_>) -> Val {
    match d {
        DataRef::Empty => Val::Empty,
        // Over-long text is measured, never copied (a shared string may be referenced by
        // every cell of a row).
        DataRef::String(s) | DataRef::DurationIso(s) | DataRef::DateTimeIso(s) if too_long(s).is_some() => Val::TooLong(s.chars().count()),
        DataRef::SharedString(s) if too_long(s).is_some() => Val::TooLong(s.chars().count()),
        DataRef::String(s) => Val::Text(s.clone()),
        DataRef::SharedString(s) => Val::Text(s.to_string()),
        DataRef::Int(i) => Val::Number(*i as f64),
        DataRef::Float(f) => Val::Number(*f),
        DataRef::Bool(b) => Val::Bool(*b),
        DataRef::DateTime(dt) => {
            if dt.is_duration() {
                return Val::Number(dt.as_f64());
            }
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            match NaiveDate::from_ymd_opt(y as i32, m as u32, d as u32) {
                Some(date) => Val::Date(date),
                None => Val::Text(format!("{y:04}-{m:02}-{d:02}")),
            }
        }
        DataRef::DateTimeIso(s) => parse_date(s).map(Val::Date).unwrap_or_else(|| Val::Text(s.clone())),
        DataRef::DurationIso(s) => Val::Text(s.clone()),
        DataRef::Error(e) => Val::Error(e.to_string()),
    }
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

fn write_err(e: WriteError) -> String {
    format!("生成 Excel 文件失败：{e}")
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid constant date")
}

fn export_fields() -> Vec<&'static str> {
    let mut f: Vec<&str> = COLUMNS.iter().map(|(f, _)| *f).collect();
    let at = f.iter().position(|x| *x == "org_code").map_or(0, |i| i + 1);
    f.insert(at, "org_name");
    f
}

fn export_headers() -> Vec<&'static str> {
    let mut h = member_headers();
    let at = COLUMNS.iter().position(|(f, _)| *f == "org_code").map_or(0, |i| i + 1);
    h.insert(at, ORG_NAME_HEADER);
    h
}

/// Columns whose cells must stay text in Excel (long digit strings, leading zeros).
fn is_text_field(field: &str) -> bool {
    matches!(field, "org_code" | "id_number" | "phone" | "code" | "parent_code" | "grid_code")
}

/// Width in Excel character units: CJK counts double; at least the header, at least what the
/// field usually holds.
fn column_width(field: &str, header: &str) -> f64 {
    let header_w = header.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>() + 2;
    let content_w = match field {
        "org_code" | "code" | "parent_code" => 14,
        "org_name" => 30,
        "name" => 10,
        "id_number" => 21,
        "birth_date" | "joined_on" | "full_on" | "term_start" | "founded_on" => 12,
        "phone" => 14,
        "education" | "status" | "kind" | "domain" => 12,
        "posts" | "vanguard_post" | "special" => 16,
        "responsibility_area" | "work_unit" | "address" => 26,
        _ => 8,
    };
    header_w.max(content_w) as f64
}

/// Excel sheet names: ≤31 characters, none of []:*?/\ , not starting or ending with '.
fn sheet_name(title: &str) -> String {
    let s: String = title
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let s = s.trim().trim_matches('\'').trim();
    let s: String = s.chars().take(31).collect();
    if s.is_empty() || s.eq_ignore_ascii_case("history") {
        "党员".into()
    } else {
        s
    }
}

fn text_format() -> Format {
    Format::new().set_num_format("@")
}

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
}

fn write_header_row(ws: &mut Worksheet, headers: &[&str]) -> Result<(), String> {
    let bold = header_format();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold).map_err(write_err)?;
    }
    Ok(())
}

pub(crate) enum Example {
    Text(String),
    Date(NaiveDate),
}

/// Rows that get the drop-down lists in a template.
const TEMPLATE_ROWS: u32 = 10_000;

/// A template: the data sheet (headers, one example row, drop-down lists) and a 填写说明
/// sheet of (header, 必填/可不填, note).
pub(crate) fn template_xlsx(
    title: &str,
    columns: &[(&str, &str)],
    headers: &[&str],
    example: &dyn Fn(&str) -> Example,
    lists: &[(&str, Vec<&str>)],
    notes: &[(&str, &str, String)],
) -> Result<Vec<u8>, String> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(title).map_err(write_err)?;
    let text = text_format();
    let plain = Format::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, ((field, _), header)) in columns.iter().zip(headers).enumerate() {
        let c = c as u16;
        ws.set_column_width(c, column_width(field, header)).map_err(write_err)?;
        if is_text_field(field) {
            ws.set_column_format(c, &text).map_err(write_err)?;
        } else if member_kind(field) == Kind::Date || org_kind(field) == Kind::Date {
            ws.set_column_format(c, &date).map_err(write_err)?;
        }
    }
    write_header_row(ws, headers)?;
    ws.set_freeze_panes(1, 0).map_err(write_err)?;
    for (c, (field, _)) in columns.iter().enumerate() {
        let c = c as u16;
        match example(field) {
            Example::Text(s) if s.is_empty() => {}
            Example::Text(s) => {
                let fmt = if is_text_field(field) { &text } else { &plain };
                ws.write_string_with_format(1, c, s, fmt).map_err(write_err)?;
            }
            Example::Date(d) => {
                let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                    .map_err(write_err)?;
                ws.write_datetime_with_format(1, c, &dt, &date).map_err(write_err)?;
            }
        }
    }
    for (field, values) in lists {
        let Some(c) = columns.iter().position(|(f, _)| f == field) else {
            continue;
        };
        let label = columns[c].1;
        let dv = DataValidation::new()
            .allow_list_strings(values)
            .and_then(|dv| dv.set_error_title("取值无效"))
            .and_then(|dv| dv.set_error_message(format!("“{label}”请从下拉列表中选择：{}", values.join("、"))))
            .map_err(write_err)?;
        ws.add_data_validation(1, c as u16, TEMPLATE_ROWS, c as u16, &dv)
            .map_err(write_err)?;
    }

    let help = wb.add_worksheet();
    help.set_name("填写说明").map_err(write_err)?;
    help.set_column_width(0, 20).map_err(write_err)?;
    help.set_column_width(1, 14).map_err(write_err)?;
    help.set_column_width(2, 90).map_err(write_err)?;
    let bold = header_format();
    help.write_string_with_format(
        0,
        0,
        "填写说明：系统只读取第一个工作表；第一行为表头，请勿修改表头文字；第二行为示例，导入前请删除或改为真实数据。",
        &Format::new().set_bold(),
    )
    .map_err(write_err)?;
    for (c, h) in ["列名", "是否必填", "说明"].iter().enumerate() {
        help.write_string_with_format(2, c as u16, *h, &bold)
            .map_err(write_err)?;
    }
    for (i, (label, need, note)) in notes.iter().enumerate() {
        let r = 3 + i as u32;
        help.write_string(r, 0, *label).map_err(write_err)?;
        help.write_string(r, 1, *need).map_err(write_err)?;
        help.write_string(r, 2, note.as_str()).map_err(write_err)?;
    }
    wb.save_to_buffer().map_err(write_err)
}

fn member_note(field: &str) -> (&'static str, String) {
    match field {
        "org_code" => (
            "必填",
            "党员所在党支部（党组织）的编码，该党组织须已在系统中建立".into(),
        ),
        "name" => ("必填", "不含数字，不超过30个字".into()),
        "id_number" => (
            "必填",
            "18位公民身份号码。本列已设为“文本”格式，请勿改为数字或常规格式，否则后几位会丢失".into(),
        ),
        "gender" => ("可不填", "男 或 女；不填时按身份证号推算".into()),
        "birth_date" => (
            "可不填",
            "如 1975-06-01；不填时按身份证号推算，填写时须与身份证号一致".into(),
        ),
        "ethnicity" => ("可不填", "56个民族之一，如“汉族”；不填默认为汉族".into()),
        "education" => ("必填", format!("可选：{}", Education::labels())),
        "phone" => ("可不填", "11位手机号，或带区号的固定电话（如 0351-1234567）".into()),
        "joined_on" => ("必填", "如 2001-07-01；入党时须年满18周岁".into()),
        "full_on" => ("正式党员必填", "如 2002-07-01；预备党员不填".into()),
        "status" => (
            "可不填",
            format!(
                "可选：{}；不填时，有转正日期的为正式党员，否则为预备党员",
                MemberStatus::labels()
            ),
        ),
        "posts" => (
            "可不填",
            format!("可填多个，用顿号或逗号分隔。可选：{}", Post::labels()),
        ),
        "vanguard_post" => ("可不填", "党员先锋岗名称，不超过50个字".into()),
        "responsibility_area" => ("可不填", "党员责任区，不超过100个字".into()),
        "in_service" => ("可不填", "是 或 否；不填视为“否”".into()),
        "work_unit" => ("可不填", "不超过100个字".into()),
        _ => ("可不填", String::new()),
    }
}

fn org_note(field: &str) -> (&'static str, String) {
    match field {
        "code" => ("必填", "本党组织的编码，全系统唯一".into()),
        "parent_code" => ("必填", "上级党组织的编码；上级须已在系统中或在本表中排在前面".into()),
        "name" => ("必填", "党组织全称，如“中共某某村支部委员会”".into()),
        "kind" => ("必填", format!("可选：{}", OrgKind::labels())),
        "variant" => ("可不填", format!("可选：{}；不填为常设", OrgVariant::labels())),
        "domain" => ("必填", format!("可选：{}", OrgDomain::labels())),
        "joint_units" => ("可不填", "联合党组织覆盖的单位数，整数".into()),
        "term_start" => ("可不填", "如 2021-06-01".into()),
        "founded_on" => ("可不填", "如 1956-07-01".into()),
        _ => ("可不填", String::new()),
    }
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

/// A plain ledger (台账) as .xlsx: a bold frozen header and text cells. Used for meeting,
/// compliance and dues ledgers; `widths` are in characters, one per column.
pub fn write_table_xlsx(sheet_title: &str, headers: &[&str], widths: &[f64], rows: impl Iterator<Item = Vec<String>>) -> Result<Vec<u8>, String> {
    let mut wb = Workbook::new();
    write_sheet(&mut wb, sheet_title, headers, widths, rows)?;
    wb.save_to_buffer().map_err(write_err)
}

/// One sheet of a multi-sheet workbook.
pub struct Table<'a> {
    pub title: String,
    pub headers: &'a [&'a str],
    pub widths: &'a [f64],
    pub rows: Vec<Vec<String>>,
}

/// Several tables, one sheet each, in order.
pub fn write_tables_xlsx(tables: &[Table]) -> Result<Vec<u8>, String> {
    let mut wb = Workbook::new();
    for t in tables {
        write_sheet(&mut wb, &t.title, t.headers, t.widths, t.rows.iter().cloned())?;
    }
    wb.save_to_buffer().map_err(write_err)
}

fn write_sheet(wb: &mut Workbook, sheet_title: &str, headers: &[&str], widths: &[f64], rows: impl Iterator<Item = Vec<String>>) -> Result<(), String> {
    let ws = wb.add_worksheet_with_constant_memory();
    ws.set_name(sheet_name(sheet_title)).map_err(write_err)?;
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w).map_err(write_err)?;
    }
    write_header_row(ws, headers)?;
    ws.set_freeze_panes(1, 0).map_err(write_err)?;
    for (i, r) in rows.enumerate() {
        if i >= MAX_XLSX_DATA_ROWS {
            return Err(format!("导出行数超过 Excel 单表上限 {MAX_XLSX_DATA_ROWS} 行，请缩小导出范围"));
        }
        for (c, v) in r.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string((i + 1) as u32, c as u16, v).map_err(write_err)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::members::validate::validate;
    use calamine::Data;
    use rust_xlsxwriter::ExcelDateTime;
    use std::io::Write;

    fn today() -> NaiveDate {
        ymd(2026, 11, 22)
    }

    fn id(region: u32, y: i32, m: u32, d: u32, seq: u32) -> String {
        IdCardNumber::build(region, ymd(y, m, d), seq).to_string()
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn members(path: &Path, kind: FileKind) -> Vec<Result<MemberRow, RowError>> {
        MemberRows::open(path, kind).unwrap().collect()
    }

    fn open_err(path: &Path, kind: FileKind) -> RowError {
        match MemberRows::open(path, kind) {
            Ok(_) => panic!("expected a file-level error"),
            Err(e) => e,
        }
    }

    /// The first worksheet of an xlsx as strings, via calamine's whole-range API.
    fn sheet_strings(bytes: Vec<u8>) -> Vec<Vec<String>> {
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::Empty => String::new(),
                        Data::String(s) => s.clone(),
                        other => panic!("non-string cell {other:?}"),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn csv_with_bom_and_aliases() {
        let dir = tempfile::tempdir().unwrap();
        let id1 = id(140781, 1975, 6, 1, 11);
        let id2 = id(140781, 1990, 2, 3, 22);
        // Aliases, a split label, a full-width space, an unknown column, a quoted field with a
        // comma and a line break, a blank line and an all-empty row.
        let text = format!(
            "\u{feff}所属党组织编码,姓 名,身份证号,性别,出生日期,\u{3000}民族,文化程度,手机,入党时间,转正日期,人员身份,职务,先锋岗,责任区,是否在职党员,工作单位,备注\n\
             0010001,王建国,{id1},男,1975-06-01,汉族,大学本科,13812345678,2001-07-01,2002/07/01,正式党员,\"书记,组织委员\",政策宣传岗,第一村民小组,否,某某村,随便\n\
             \n\
             ,,,,,,,,,,,,,,,,\n\
             '0010002, 李 梅 ,=\"{id2}\",,,,高中,,2020-01-05,,,,,\"第二\n小组\",Y,,\n"
        );
        let p = write(&dir, "m.csv", text.as_bytes());
        let rows = members(&p, FileKind::Csv);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let a = rows[0].as_ref().unwrap();
        assert_eq!(a.row, 2);
        assert_eq!(a.org_code, "0010001");
        assert_eq!(a.input.name.as_deref(), Some("王建国"));
        assert_eq!(a.input.id_number.as_deref(), Some(id1.as_str()));
        assert_eq!(a.input.ethnicity.as_deref(), Some("汉族"));
        assert_eq!(a.input.education.as_deref(), Some("大学本科"));
        assert_eq!(a.input.phone.as_deref(), Some("13812345678"));
        assert_eq!(a.input.joined_on.as_deref(), Some("2001-07-01"));
        assert_eq!(a.input.full_on.as_deref(), Some("2002/07/01"));
        assert_eq!(a.input.status.as_deref(), Some("正式党员"));
        assert_eq!(a.input.posts.as_deref(), Some("书记,组织委员"));
        assert_eq!(a.input.in_service, Some(false));
        assert_eq!(a.input.work_unit.as_deref(), Some("某某村"));
        assert!(a.input.org_id.is_none());
        let m = validate(&a.input, today()).unwrap();
        assert_eq!(m.posts.len(), 2);

        let b = rows[1].as_ref().unwrap();
        assert_eq!(b.row, 5, "blank line and empty row skipped, line numbers kept");
        assert_eq!(b.org_code, "0010002");
        assert_eq!(b.input.name.as_deref(), Some("李 梅"));
        assert_eq!(b.input.id_number.as_deref(), Some(id2.as_str()));
        assert_eq!(b.input.gender, None);
        assert_eq!(b.input.responsibility_area.as_deref(), Some("第二\n小组"));
        assert_eq!(b.input.in_service, Some(true));
        assert!(validate(&b.input, today()).is_ok());
    }

    #[test]
    fn csv_row_numbers_after_multiline_field() {
        let dir = tempfile::tempdir().unwrap();
        let h = member_headers().join(",");
        let text = format!("{h}\n001,甲,,,,,高中,,2001-07-01,,,,\"a\nb\nc\",,,\n001,乙,,,,,高中,,2001-07-01,,,,,,,\n");
        let p = write(&dir, "m.csv", text.as_bytes());
        let rows: Vec<usize> = members(&p, FileKind::Csv).into_iter().map(|r| r.unwrap().row).collect();
        assert_eq!(rows, vec![2, 5]);
    }

    #[test]
    fn csv_wrong_field_count_is_a_row_error() {
        let dir = tempfile::tempdir().unwrap();
        let h = "所在党组织编码,姓名,公民身份号码,学历,入党日期";
        let text = format!(
            "{h}\n001,甲,X,高中,2001-07-01\n001,乙,X,高中,2001-07-01,多余\n001,丙,X\n001,丁,X,高中,2001-07-01,,\n001,戊,X,高中,2001-07-01\n"
        );
        let p = write(&dir, "m.csv", text.as_bytes());
        let rows = members(&p, FileKind::Csv);
        let summary: Vec<(usize, bool)> = rows
            .iter()
            .map(|r| r.as_ref().map(|m| (m.row, true)).unwrap_or_else(|e| (e.row, false)))
            .collect();
        assert_eq!(summary, vec![(2, true), (3, false), (4, false), (5, true), (6, true)]);
        let e = rows[1].as_ref().unwrap_err();
        assert!(e.message.contains("6列") && e.message.contains("5列"), "{e:?}");
    }

    #[test]
    fn csv_invalid_utf8_row_is_a_row_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = "所在党组织编码,姓名,公民身份号码,学历,入党日期\n001,甲,X,高中,2001-07-01\n"
            .as_bytes()
            .to_vec();
        bytes.extend_from_slice(b"001,\xff\xfe\xff,X,\xc0,2001-07-01\n"); // neither UTF-8 nor GBK
        bytes.extend_from_slice("001,丙,X,高中,2001-07-01\n".as_bytes());
        let p = write(&dir, "m.csv", &bytes);
        let rows = members(&p, FileKind::Csv);
        assert_eq!(rows.len(), 3);
        let e = rows[1].as_ref().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (3, "姓名"));
        assert!(e.message.contains("UTF-8"), "{e:?}");
        assert_eq!(rows[2].as_ref().unwrap().input.name.as_deref(), Some("丙"));
    }

    #[test]
    fn csv_in_gbk_is_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let text =
            "所在党组织编码,姓名,公民身份号码,学历,入党日期,是否在职党员\r\n001,张三丰,X,大学专科,2001-07-01,是\r\n";
        let (bytes, _, bad) = encoding_rs::GBK.encode(text);
        assert!(!bad);
        assert!(std::str::from_utf8(&bytes).is_err());
        assert_eq!(FileKind::sniff(&bytes), Some(FileKind::Csv));
        let p = write(&dir, "gbk.csv", &bytes);
        let rows = members(&p, FileKind::Csv);
        let r = rows[0].as_ref().unwrap();
        assert_eq!(r.input.name.as_deref(), Some("张三丰"));
        assert_eq!(r.input.education.as_deref(), Some("大学专科"));
        assert_eq!(r.input.in_service, Some(true));
    }

    #[test]
    fn csv_tab_separated_and_in_service_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = "所在党组织编码\t姓名\t公民身份号码\t学历\t入党日期\t是否在职党员\n001\t甲\tX\t高中\t2001-07-01\t也许\n001\t乙\tX\t高中\t2001-07-01\tTRUE\n";
        let p = write(&dir, "m.csv", text.as_bytes());
        let rows = members(&p, FileKind::Csv);
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (2, "是否在职党员"));
        assert!(e.message.contains("也许"));
        assert_eq!(rows[1].as_ref().unwrap().input.in_service, Some(true));
    }

    #[test]
    fn csv_id_in_exponent_form_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = "所在党组织编码,姓名,公民身份号码,学历,入党日期\n001,甲,1.40781E+17,高中,2001-07-01\n";
        let p = write(&dir, "m.csv", text.as_bytes());
        let e = members(&p, FileKind::Csv).remove(0).unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (2, "公民身份号码"));
        assert!(e.message.contains("文本"));
    }

    #[test]
    fn xlsx_numbers_dates_and_numeric_id() {
        let dir = tempfile::tempdir().unwrap();
        let id1 = id(110101, 1975, 6, 1, 11);
        let id3 = id(110101, 1988, 12, 31, 24);
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        // A title row above the header, as county sheets often have.
        ws.write_string(0, 0, "某某村党员花名册").unwrap();
        for (c, h) in member_headers().iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        let col = |f: &str| COLUMNS.iter().position(|(x, _)| *x == f).unwrap() as u16;
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let whole = Format::new().set_num_format("0");
        // Row 3: phone as a number, dates as Excel dates, in_service as a boolean.
        ws.write_number(2, col("org_code"), 10001).unwrap();
        ws.write_string(2, col("name"), "王建国").unwrap();
        ws.write_string(2, col("id_number"), &id1).unwrap();
        ws.write_datetime_with_format(
            2,
            col("birth_date"),
            ExcelDateTime::from_ymd(1975, 6, 1).unwrap(),
            &date,
        )
        .unwrap();
        ws.write_string(2, col("education"), "大学本科").unwrap();
        ws.write_number_with_format(2, col("phone"), 13812345678.0, &whole)
            .unwrap();
        ws.write_datetime_with_format(2, col("joined_on"), ExcelDateTime::from_ymd(2001, 7, 1).unwrap(), &date)
            .unwrap();
        ws.write_number(2, col("full_on"), 37438.0).unwrap(); // a serial that lost its date format: 2002-07-01
        ws.write_boolean(2, col("in_service"), true).unwrap();
        // Row 4: the ID typed as a number.
        ws.write_string(3, col("org_code"), "0010001").unwrap();
        ws.write_string(3, col("name"), "赵四").unwrap();
        ws.write_number(3, col("id_number"), 110101197506011000.0).unwrap();
        ws.write_string(3, col("education"), "高中").unwrap();
        ws.write_string(3, col("joined_on"), "2001-07-01").unwrap();
        // Row 5: only formatted blanks, skipped.
        ws.write_blank(4, 0, &date).unwrap();
        ws.write_string(4, 1, "  ").unwrap();
        // Row 7: text cells throughout, a date typed as 20010701, in_service as 0.
        ws.write_string(6, col("org_code"), "0010001").unwrap();
        ws.write_string(6, col("name"), "钱五").unwrap();
        ws.write_string(6, col("id_number"), &id3).unwrap();
        ws.write_string(6, col("education"), "初中及以下").unwrap();
        ws.write_number(6, col("joined_on"), 20100701.0).unwrap();
        ws.write_string(6, col("phone"), "0351-1234567").unwrap();
        ws.write_number(6, col("in_service"), 0.0).unwrap();
        let p = dir.path().join("m.xlsx");
        wb.save(&p).unwrap();

        let rows = members(&p, FileKind::Xlsx);
        assert_eq!(rows.len(), 3, "{rows:?}");
        let a = rows[0].as_ref().unwrap();
        assert_eq!(a.row, 3);
        assert_eq!(a.org_code, "10001");
        assert_eq!(a.input.id_number.as_deref(), Some(id1.as_str()));
        assert_eq!(a.input.phone.as_deref(), Some("13812345678"));
        assert_eq!(a.input.birth_date.as_deref(), Some("1975-06-01"));
        assert_eq!(a.input.joined_on.as_deref(), Some("2001-07-01"));
        assert_eq!(a.input.full_on.as_deref(), Some("2002-07-01"));
        assert_eq!(a.input.in_service, Some(true));
        assert_eq!(a.input.gender, None);
        assert!(validate(&a.input, today()).is_ok());

        let e = rows[1].as_ref().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (4, "公民身份号码"));
        assert!(e.message.contains("文本"), "{e:?}");

        let c = rows[2].as_ref().unwrap();
        assert_eq!(c.row, 7);
        assert_eq!(c.input.joined_on.as_deref(), Some("2010-07-01"));
        assert_eq!(c.input.phone.as_deref(), Some("0351-1234567"));
        assert_eq!(c.input.in_service, Some(false));
        assert!(validate(&c.input, today()).is_ok());
    }

    #[test]
    fn xlsx_formula_error_cell_is_a_row_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["所在党组织编码", "姓名", "公民身份号码", "学历", "入党日期"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "001").unwrap();
        ws.write_formula(
            1,
            1,
            rust_xlsxwriter::Formula::new("=VLOOKUP(1,Z1:Z2,2,0)").set_result("#N/A"),
        )
        .unwrap();
        let p = dir.path().join("f.xlsx");
        wb.save(&p).unwrap();
        let rows = members(&p, FileKind::Xlsx);
        // The cached result is stored as an error value (t="e").
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (2, "姓名"));
        assert!(e.message.contains("#N/A"), "{e:?}");
    }

    #[test]
    fn file_level_errors() {
        let dir = tempfile::tempdir().unwrap();
        // Missing required header.
        let p = write(
            &dir,
            "m.csv",
            "所在党组织编码,姓名,公民身份号码,入党日期\n001,甲,X,2001-07-01\n".as_bytes(),
        );
        let e = open_err(&p, FileKind::Csv);
        assert_eq!((e.row, e.column.as_str()), (1, "学历"));
        assert!(e.message.contains("“学历”") && e.message.contains("模板"), "{e:?}");
        // Duplicate header through an alias.
        let p = write(
            &dir,
            "d.csv",
            "所在党组织编码,姓名,公民身份号码,学历,入党日期,手机,联系电话\n".as_bytes(),
        );
        let e = open_err(&p, FileKind::Csv);
        assert_eq!((e.row, e.column.as_str()), (1, "联系电话"));
        assert!(e.message.contains("手机") && e.message.contains("重复"), "{e:?}");
        // Empty files.
        for (name, bytes) in [
            ("e.csv", &b""[..]),
            ("b.csv", &b"\xEF\xBB\xBF\r\n"[..]),
            ("e.xlsx", &b""[..]),
        ] {
            let p = write(&dir, name, bytes);
            let kind = FileKind::from_name(name).unwrap();
            let e = open_err(&p, kind);
            assert_eq!(e.row, 1, "{name}");
            assert!(e.message.contains("空"), "{name}: {e:?}");
        }
        let p = write(&dir, "blank.csv", b",,,\n,,,\n");
        assert!(open_err(&p, FileKind::Csv).message.contains("空"));
        // A workbook with no cells.
        let mut wb = Workbook::new();
        wb.add_worksheet();
        let p = dir.path().join("empty.xlsx");
        wb.save(&p).unwrap();
        assert_eq!(open_err(&p, FileKind::Xlsx).row, 1);
        // Garbage named .xlsx, a truncated zip, an old .xls, a missing file.
        let p = write(&dir, "g.xlsx", b"this is not a spreadsheet at all");
        assert_eq!(open_err(&p, FileKind::Xlsx).row, 0);
        let good = member_template_xlsx().unwrap();
        let p = write(&dir, "t.xlsx", &good[..good.len() / 2]);
        assert_eq!(open_err(&p, FileKind::Xlsx).row, 0);
        let mut junk = ZIP_MAGIC.to_vec();
        junk.extend(std::iter::repeat_n(0x5Au8, 5000));
        let p = write(&dir, "z.xlsx", &junk);
        assert_eq!(open_err(&p, FileKind::Xlsx).row, 0);
        let mut xls = CFB_MAGIC.to_vec();
        xls.extend([0u8; 600]);
        let p = write(&dir, "old.xlsx", &xls);
        assert!(open_err(&p, FileKind::Xlsx).message.contains(".xls"));
        let e = open_err(&dir.path().join("nope.csv"), FileKind::Csv);
        assert_eq!(e.row, 0);
        // UTF-16 text.
        let p = write(&dir, "u16.csv", b"\xFF\xFE\x40\x62");
        assert!(open_err(&p, FileKind::Csv).message.contains("UTF-16"));
    }

    #[test]
    fn xlsx_named_csv_is_read_as_xlsx() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "really.csv", &member_template_xlsx().unwrap());
        let rows = members(&p, FileKind::Csv);
        assert_eq!(rows.len(), 1);
        assert!(rows[0].is_ok());
    }

    #[test]
    fn dropping_early_stops_the_reader_thread() {
        let dir = tempfile::tempdir().unwrap();
        let rows = (0..2000).map(|i| MemberExportRow {
            org_code: "001".into(),
            name: format!("甲{i}"),
            education: "高中".into(),
            joined_on: "2001-07-01".into(),
            id_number: "X".into(),
            ..Default::default()
        });
        let p = write(&dir, "big.xlsx", &write_members_xlsx("x", rows).unwrap());
        let mut it = MemberRows::open(&p, FileKind::Xlsx).unwrap();
        assert_eq!(it.next().unwrap().unwrap().input.name.as_deref(), Some("甲0"));
        drop(it); // must not hang
    }

    #[test]
    fn export_reads_back_equal() {
        let input = vec![
            MemberExportRow {
                org_code: "0010001".into(),
                org_name: "中共某某村支部委员会".into(),
                name: "王建国".into(),
                id_number: id(110101, 1975, 6, 1, 11),
                gender: "男".into(),
                birth_date: "1975-06-01".into(),
                ethnicity: "汉族".into(),
                education: "大学本科".into(),
                phone: "13812345678".into(),
                joined_on: "2001-07-01".into(),
                full_on: "2002-07-01".into(),
                status: "正式党员".into(),
                posts: "书记、组织委员".into(),
                vanguard_post: "政策宣传岗".into(),
                responsibility_area: "第一村民小组".into(),
                in_service: "否".into(),
                work_unit: "=HYPERLINK(\"x\")".into(),
            },
            MemberExportRow {
                org_code: "0010002".into(),
                org_name: "中共某某社区委员会".into(),
                name: "李梅".into(),
                id_number: "1101**********0022".into(),
                gender: "女".into(),
                education: "高中".into(),
                joined_on: "2020-01-05".into(),
                status: "预备党员".into(),
                in_service: "是".into(),
                ..Default::default()
            },
        ];
        let bytes = write_members_xlsx("2024/党员:导出[全部]", input.clone().into_iter()).unwrap();
        let wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(wb.sheet_names(), vec!["2024_党员_导出_全部_".to_string()]);
        let grid = sheet_strings(bytes);
        assert_eq!(
            grid[0],
            export_headers().iter().map(|s| s.to_string()).collect::<Vec<_>>()
        );
        assert_eq!(grid[0][1], ORG_NAME_HEADER);
        assert_eq!(grid.len(), 3);
        for (got, want) in grid[1..].iter().zip(&input) {
            let want: Vec<String> = want.cells().iter().map(|s| s.to_string()).collect();
            assert_eq!(got, &want);
        }
        // Empty export: header only.
        let grid = sheet_strings(write_members_xlsx("", std::iter::empty()).unwrap());
        assert_eq!(grid.len(), 1);
    }

    #[test]
    fn export_reimports_as_members() {
        let dir = tempfile::tempdir().unwrap();
        let row = MemberExportRow {
            org_code: "0010001".into(),
            org_name: "某支部".into(),
            name: "王建国".into(),
            id_number: id(110101, 1975, 6, 1, 11),
            education: "大学本科".into(),
            joined_on: "2001-07-01".into(),
            full_on: "2002-07-01".into(),
            posts: "书记、组织委员".into(),
            in_service: "否".into(),
            ..Default::default()
        };
        let p = write(
            &dir,
            "e.xlsx",
            &write_members_xlsx("党员", std::iter::once(row)).unwrap(),
        );
        let got = members(&p, FileKind::Xlsx).remove(0).unwrap();
        assert_eq!(got.org_code, "0010001");
        assert!(validate(&got.input, today()).is_ok());
    }

    #[test]
    fn templates_have_the_headers_and_a_valid_example() {
        let dir = tempfile::tempdir().unwrap();
        let m = member_template_xlsx().unwrap();
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(m.clone())).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(header, member_headers());
        assert_eq!(wb.sheet_names().len(), 2);
        let p = write(&dir, "mt.xlsx", &m);
        let rows = members(&p, FileKind::Xlsx);
        assert_eq!(rows.len(), 1);
        let ex = rows[0].as_ref().unwrap();
        assert_eq!(ex.row, 2);
        assert_eq!(ex.input.joined_on.as_deref(), Some("2001-07-01"));
        let v = validate(&ex.input, today()).unwrap();
        assert_eq!(v.name, "王建国");

        let o = org_template_xlsx().unwrap();
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(o.clone())).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(header, org_headers());
        let p = write(&dir, "ot.xlsx", &o);
        let rows: Vec<OrgRow> = OrgRows::open(&p, FileKind::Xlsx).unwrap().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.row, r.code.as_str(), r.parent_code.as_str()), (2, "0010001", "001"));
        assert_eq!(OrgKind::parse(&r.kind), Some(OrgKind::Branch));
        assert_eq!(OrgVariant::parse(&r.variant), Some(OrgVariant::Regular));
        assert_eq!(OrgDomain::parse(&r.domain), Some(OrgDomain::Rural));
        assert_eq!(
            (r.term_start.as_str(), r.founded_on.as_str(), r.joint_units.as_str()),
            ("2021-06-01", "1956-07-01", "")
        );
    }

    #[test]
    fn org_csv() {
        let dir = tempfile::tempdir().unwrap();
        let text = "党组织编码,上级党组织编码,党组织名称,党组织类别,组织形式,所属领域,联合单位数,成立日期\n\
                    001,,中共某某镇委员会,党委,,乡镇街道,,1950-01-01\n\
                    0010003,001,某某联合党支部,党支部,联合,非公企业,3,2019/5/1\n";
        let p = write(&dir, "o.csv", text.as_bytes());
        let rows: Vec<OrgRow> = OrgRows::open(&p, FileKind::Csv).unwrap().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].parent_code, "");
        assert_eq!(rows[0].term_start, "");
        assert_eq!(
            rows[1],
            OrgRow {
                row: 3,
                code: "0010003".into(),
                parent_code: "001".into(),
                name: "某某联合党支部".into(),
                kind: "党支部".into(),
                variant: "联合".into(),
                domain: "非公企业".into(),
                joint_units: "3".into(),
                term_start: "".into(),
                founded_on: "2019/5/1".into(),
            }
        );
        let p = write(&dir, "bad.csv", "党组织编码,党组织名称,党组织类别\n".as_bytes());
        let e = OrgRows::open(&p, FileKind::Csv).err().unwrap();
        assert!(
            e.message.contains("上级党组织编码") && e.message.contains("所属领域"),
            "{e:?}"
        );
    }

    /// A minimal .xlsx built by hand (stored zip), to feed calamine what real-world broken
    /// files contain.
    fn handmade_xlsx(sheet_data: &str, shared: &[&str]) -> Vec<u8> {
        fn crc32(d: &[u8]) -> u32 {
            let mut c = !0u32;
            for &b in d {
                c ^= b as u32;
                for _ in 0..8 {
                    c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
                }
            }
            !c
        }
        let sst: String = shared.iter().map(|s| format!("<si><t>{s}</t></si>")).collect();
        let files: Vec<(&str, String)> = vec![
            ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#.into()),
            ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into()),
            ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.into()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.into()),
            ("xl/sharedStrings.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{sst}</sst>"#)),
            ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#)),
        ];
        let (mut out, mut central) = (Vec::new(), Vec::new());
        for (name, body) in &files {
            let (name, body) = (name.as_bytes(), body.as_bytes());
            let offset = out.len() as u32;
            let crc = crc32(body);
            let mut local = vec![0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            local.extend(crc.to_le_bytes());
            local.extend((body.len() as u32).to_le_bytes());
            local.extend((body.len() as u32).to_le_bytes());
            local.extend((name.len() as u16).to_le_bytes());
            local.extend(0u16.to_le_bytes());
            out.extend(&local);
            out.extend(name);
            out.extend(body);
            central.extend([0x50, 0x4b, 0x01, 0x02, 20, 0]);
            central.extend(&local[4..]);
            central.extend([0u8; 6]); // comment len, disk, internal attrs
            central.extend(0u32.to_le_bytes()); // external attrs
            central.extend(offset.to_le_bytes());
            central.extend(name);
        }
        let (cd_at, cd_len) = (out.len() as u32, central.len() as u32);
        out.extend(central);
        out.extend([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
        out.extend((files.len() as u16).to_le_bytes());
        out.extend((files.len() as u16).to_le_bytes());
        out.extend(cd_len.to_le_bytes());
        out.extend(cd_at.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    const HANDMADE_HEADER: &str = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>"#;
    const HANDMADE_STRINGS: &[&str] = &["所在党组织编码", "姓名", "公民身份号码", "学历", "入党日期", "甲"];

    #[test]
    fn handmade_xlsx_reads() {
        let dir = tempfile::tempdir().unwrap();
        let data = format!(
            r#"{HANDMADE_HEADER}<row r="2"><c r="A2" t="inlineStr"><is><t>001</t></is></c><c r="B2" t="s"><v>5</v></c></row>"#
        );
        let p = write(&dir, "ok.xlsx", &handmade_xlsx(&data, HANDMADE_STRINGS));
        let rows = members(&p, FileKind::Xlsx);
        let r = rows[0].as_ref().unwrap();
        assert_eq!(
            (r.row, r.org_code.as_str(), r.input.name.as_deref()),
            (2, "001", Some("甲"))
        );
    }

    #[test]
    fn calamine_panic_on_a_broken_file_becomes_a_row_error() {
        let dir = tempfile::tempdir().unwrap();
        // A shared-string index past the table: calamine 0.31 indexes without a check and panics.
        let data = format!(
            r#"{HANDMADE_HEADER}<row r="2"><c r="A2" t="inlineStr"><is><t>001</t></is></c><c r="B2" t="s"><v>99999</v></c></row>"#
        );
        let p = write(&dir, "sst.xlsx", &handmade_xlsx(&data, HANDMADE_STRINGS));
        let rows = members(&p, FileKind::Xlsx);
        assert_eq!(rows.len(), 1);
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!(e.row, 2);
        assert!(e.message.contains("另存为"), "{e:?}");
        // Broken XML in row 3: row 2 is read, row 3 is reported, not yielded half-read.
        let data = format!(
            r#"{HANDMADE_HEADER}<row r="2"><c r="B2" t="s"><v>5</v></c></row><row r="3"><c r="B3" t="s"><v>5</v></c><c r="C3"><x>1</x></c></row>"#
        );
        let p = write(&dir, "xml.xlsx", &handmade_xlsx(&data, HANDMADE_STRINGS));
        let rows = members(&p, FileKind::Xlsx);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].as_ref().unwrap().row, 2);
        assert_eq!(rows[1].as_ref().unwrap_err().row, 3);
    }

    #[test]
    fn readers_can_be_held_across_await() {
        fn send<T: Send>() {}
        send::<MemberRows>();
        send::<OrgRows>();
    }

    #[test]
    fn hidden_first_sheet_is_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let hidden = wb.add_worksheet();
        hidden.write_string(0, 0, "旧数据").unwrap();
        hidden.set_hidden(true);
        let ws = wb.add_worksheet();
        for (c, h) in ["所在党组织编码", "姓名", "公民身份号码", "学历", "入党日期"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 1, "甲").unwrap();
        wb.worksheet_from_index(1).unwrap().set_active(true);
        let p = dir.path().join("h.xlsx");
        wb.save(&p).unwrap();
        let rows = members(&p, FileKind::Xlsx);
        assert_eq!(rows[0].as_ref().unwrap().input.name.as_deref(), Some("甲"));
    }

    #[test]
    fn file_kind() {
        assert_eq!(FileKind::from_name("党员.XLSX"), Some(FileKind::Xlsx));
        assert_eq!(FileKind::from_name("a.b.Csv"), Some(FileKind::Csv));
        assert_eq!(FileKind::from_name("a.xls"), None);
        assert_eq!(FileKind::from_name("csv"), None);
        assert_eq!(FileKind::sniff(b"PK\x03\x04rest"), Some(FileKind::Xlsx));
        assert_eq!(FileKind::sniff("\u{feff}姓名,学历".as_bytes()), Some(FileKind::Csv));
        assert_eq!(
            FileKind::sniff(&"姓名".as_bytes()[..4]),
            Some(FileKind::Csv),
            "cut character"
        );
        assert_eq!(FileKind::sniff(CFB_MAGIC), None);
        assert_eq!(FileKind::sniff(b"\xFF\xFE\x40\x00"), None);
    }

    #[test]
    fn helpers() {
        assert_eq!(number_text(13812345678.0), "13812345678");
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(date_from_number(37438.0), Some(ymd(2002, 7, 1)));
        assert_eq!(date_from_number(20010701.0), Some(ymd(2001, 7, 1)));
        assert_eq!(date_from_number(2001.0), None);
        assert_eq!(date_from_number(2001.07), None);
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(sheet_name("'历史'"), "历史");
        assert_eq!(normalize_header("\u{feff} 姓\u{3000}名 *"), "姓名");
        assert_eq!(MEMBER_SCHEMA.field_of("入党日期（格式：2001-07-01）"), Some(8));
    }

    fn vm_hwm_kib() -> u64 {
        let s = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = s.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn csv_over_long_field_and_runaway_quote() {
        use super::sheet_limits::{CODE_CELL_TOO_LONG, CODE_ROW_TOO_LONG};
        let header = member_headers().join(",");
        let long = "长".repeat(MAX_CELL_CHARS + 1);
        let ok = "短".repeat(MAX_CELL_CHARS);
        let id1 = id(140781, 1975, 6, 1, 11);
        let text = format!(
            "{header},备注\n001,甲,{id1},男,,汉族,大学本科,,2001-07-01,,正式党员,,,,,{long},\n001,乙,{id1},男,,汉族,大学本科,,2001-07-01,,正式党员,,,,,{ok},{long}\n"
        );
        let rows: Vec<_> = MemberRows::from_bytes(text.into_bytes(), FileKind::Csv).unwrap().collect();
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!((e.row, e.column.as_str(), e.code), (2, "工作单位", Some(CODE_CELL_TOO_LONG)), "{e:?}");
        assert!(e.message.contains(&format!("{}", MAX_CELL_CHARS + 1)) && e.message.contains("删减"), "{e:?}");
        // An unknown column is named by its letter; a field of exactly the cap is fine.
        let e = rows[1].as_ref().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (3, "Q列"), "{e:?}");
        // A header cell too long.
        let e = match MemberRows::from_bytes(format!("{header},{long}\n").into_bytes(), FileKind::Csv) {
            Err(e) => e,
            Ok(_) => panic!("expected a header error"),
        };
        assert_eq!((e.row, e.code), (1, Some(CODE_CELL_TOO_LONG)));

        // A quote never closed: the rest of a 3 MB file is one field; reading stops at the budget.
        let mut text = format!("{header}\n001,\"甲").into_bytes();
        text.extend(std::iter::repeat_n(b'x', 3 << 20));
        let rows: Vec<_> = MemberRows::from_bytes(text, FileKind::Csv).unwrap().collect();
        assert_eq!(rows.len(), 1);
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!((e.row, e.code), (2, Some(CODE_ROW_TOO_LONG)), "{e:?}");
        assert!(e.message.contains("双引号"), "{e:?}");
    }

    #[test]
    fn xlsx_over_long_cell_and_row() {
        use super::sheet_limits::{CODE_CELL_TOO_LONG, CODE_ROW_TOO_LONG};
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in member_headers().iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        let id1 = id(140781, 1975, 6, 1, 11);
        for r in 1..=3u32 {
            for (c, v) in [(0u16, "001"), (1, "甲"), (2, id1.as_str()), (6, "大学本科"), (8, "2001-07-01")] {
                ws.write_string(r, c, v).unwrap();
            }
        }
        // Row 2: one shared string over the cap; row 3: 300 cells of 1,900 characters (570 KB).
        ws.write_string(1, 15, "长".repeat(MAX_CELL_CHARS + 5)).unwrap();
        let wide = "宽".repeat(1_900);
        for c in 20..320u16 {
            ws.write_string(2, c, &wide).unwrap();
        }
        let bytes = wb.save_to_buffer().unwrap();
        let rows: Vec<_> = MemberRows::from_bytes(bytes, FileKind::Xlsx).unwrap().collect();
        assert_eq!(rows.len(), 3);
        let e = rows[0].as_ref().unwrap_err();
        assert_eq!((e.row, e.column.as_str(), e.code), (2, "工作单位", Some(CODE_CELL_TOO_LONG)), "{e:?}");
        let e = rows[1].as_ref().unwrap_err();
        assert_eq!((e.row, e.code), (3, Some(CODE_ROW_TOO_LONG)), "{e:?}");
        assert!(rows[2].is_ok(), "reading goes on after a refused row: {:?}", rows[2]);
    }

    /// `cargo test --release --lib bench_csv_million -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn bench_csv_million() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.csv");
        let n = 1_000_000usize;
        {
            let mut w = std::io::BufWriter::new(File::create(&p).unwrap());
            w.write_all(UTF8_BOM).unwrap();
            writeln!(w, "{}", member_headers().join(",")).unwrap();
            let id = id(140781, 1975, 6, 1, 11);
            for i in 0..n {
                writeln!(
                    w,
                    "0010{:03},党员{i},{id},男,1975-06-01,汉族,大学本科,138{:08},2001-07-01,2002-07-01,正式党员,\"书记,委员\",政策宣传岗,第{}村民小组,否,某某村村民委员会",
                    i % 1000,
                    i,
                    i % 20
                )
                .unwrap();
            }
        }
        let size = std::fs::metadata(&p).unwrap().len();
        // Baseline: the csv crate alone, no decoding or field mapping.
        let t = std::time::Instant::now();
        let mut raw = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(&p)
            .unwrap();
        let mut rec = csv::ByteRecord::new();
        let mut records = 0usize;
        while raw.read_byte_record(&mut rec).unwrap() {
            records += 1;
        }
        assert_eq!(records, n + 1);
        println!(
            "csv crate alone: {:.0} records/s",
            records as f64 / t.elapsed().as_secs_f64()
        );
        let before = vm_hwm_kib();
        let t = std::time::Instant::now();
        let mut ok = 0usize;
        let mut bytes = 0usize;
        for r in MemberRows::open(&p, FileKind::Csv).unwrap() {
            let r = r.unwrap();
            bytes += r.input.name.map_or(0, |s| s.len());
            ok += 1;
        }
        let secs = t.elapsed().as_secs_f64();
        let after = vm_hwm_kib();
        assert_eq!(ok, n);
        assert!(bytes > 0);
        println!(
            "CSV: {n} rows, {:.1} MiB in {secs:.2}s = {:.0} rows/s; VmHWM before reading {before} KiB, after {after} KiB",
            size as f64 / 1048576.0,
            n as f64 / secs
        );
    }

    /// `cargo test --release --lib bench_xlsx -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn bench_xlsx() {
        let dir = tempfile::tempdir().unwrap();
        let n = 200_000usize;
        let t = std::time::Instant::now();
        let id = id(140781, 1975, 6, 1, 11);
        let rows = (0..n).map(|i| MemberExportRow {
            org_code: format!("0010{:03}", i % 1000),
            org_name: "某某村党支部".into(),
            name: format!("党员{i}"),
            id_number: id.clone(),
            gender: "男".into(),
            birth_date: "1975-06-01".into(),
            ethnicity: "汉族".into(),
            education: "大学本科".into(),
            phone: format!("138{i:08}"),
            joined_on: "2001-07-01".into(),
            full_on: "2002-07-01".into(),
            status: "正式党员".into(),
            posts: "书记".into(),
            vanguard_post: "政策宣传岗".into(),
            responsibility_area: "第一村民小组".into(),
            in_service: "否".into(),
            work_unit: "某某村村民委员会".into(),
        });
        let bytes = write_members_xlsx("党员", rows).unwrap();
        let wsecs = t.elapsed().as_secs_f64();
        let hwm_write = vm_hwm_kib();
        let p = write(&dir, "big.xlsx", &bytes);
        let len = bytes.len();
        drop(bytes);
        let t = std::time::Instant::now();
        let count = MemberRows::open(&p, FileKind::Xlsx)
            .unwrap()
            .filter(|r| r.is_ok())
            .count();
        let rsecs = t.elapsed().as_secs_f64();
        assert_eq!(count, n);
        // The limits' pass alone (it runs before calamine opens the workbook, included above).
        let t = std::time::Instant::now();
        sheet_limits::check_xlsx(File::open(&p).unwrap()).unwrap();
        let csecs = t.elapsed().as_secs_f64();
        println!(
            "XLSX: wrote {n} rows ({:.1} MiB) in {wsecs:.2}s = {:.0} rows/s (VmHWM {hwm_write} KiB); read in {rsecs:.2}s = {:.0} rows/s, of which {csecs:.2}s checking limits (VmHWM {} KiB)",
            len as f64 / 1048576.0,
            n as f64 / wsecs,
            n as f64 / rsecs,
            vm_hwm_kib()
        );
    }
}
