//! Limits on imported spreadsheets (member, org and household imports), in one place.
//!
//! An `.xlsx` file is a zip archive of XML parts; a 1 MB upload can describe gigabytes of
//! XML (a "zip bomb"), and calamine holds the whole shared-string table in memory. So before
//! calamine opens a workbook, [`check_xlsx`] reads the zip's central directory (with a read
//! budget, so a directory of millions of tiny entries cannot cost memory), checks every
//! entry's declared size and compression ratio, then inflates every entry through a capped
//! reader (declared sizes can lie: the inflated bytes are counted, never trusted) and scans
//! the XML parts calamine will read with a small state machine that bounds each token (tag,
//! text run, comment), the text inside any element below the sheet's row level (what
//! calamine concatenates into one cell value), the nesting depth, and the memory the
//! shared-string table will take. Nothing is kept: memory stays a few hundred kilobytes
//! whatever the file says.
//!
//! Rows and cells are bounded for both `.xlsx` and `.csv`: a cell longer than
//! [`MAX_CELL_CHARS`] characters is refused with its row and column, and a row holding more
//! than [`MAX_ROW_BYTES`] is refused before it is buffered (a CSV record is read through a
//! [`BudgetReader`], so a single 200 MB quoted field never reaches memory).
//!
//! Refusals are ordinary [`RowError`]s (row 0 for the file as a whole) carrying one of the
//! stable codes below, so they travel through `AppError::ImportRejected` like every other
//! import error, in the API (`rows[].code`), on the import pages and on the command line.
//!
//! The figures: a member roster of 200,000 rows as this project exports it is a 202 MB
//! worksheet (inline strings, streamed by calamine); typed in Excel, 100,000 rows are about
//! 60 MB of worksheet and 10–40 MB of shared strings (held whole). The caps leave room for
//! such files while keeping the extra memory of any upload under 100 MB; larger rosters import
//! as CSV (streamed, bounded per row only).

use std::cell::Cell;
use std::io::{self, Read, Seek};
use std::rc::Rc;

use super::sheets::RowError;

/// A cell (or CSV field) may hold at most this many characters. The longest real fields
/// (工作单位, 门牌地址, 特殊群体 notes) are well under 200; Excel's own limit is 32,767.
pub const MAX_CELL_CHARS: usize = 2_000;

/// One row (all its cells) may take at most this many bytes in memory: cells × 32 bytes plus
/// their text. 512 KiB fits a row using all 16,384 Excel columns. The xlsx reader thread hands
/// rows over a channel of [`XLSX_CHANNEL_ROWS`], so rows in flight stay under 32 MiB.
pub const MAX_ROW_BYTES: usize = 512 * 1024;

/// Rows in flight between the xlsx reader thread and the importer.
pub const XLSX_CHANNEL_ROWS: usize = 64;

/// All entries of an .xlsx together, decompressed (declared, and counted while inflating).
/// Worksheets are streamed, so this bounds time (about 1 s per 100 MB), not memory.
pub const MAX_XLSX_TOTAL_BYTES: u64 = 400 * MB;

/// One entry of an .xlsx (a worksheet, the shared strings, an image), decompressed. The
/// project's own member export of 200,000 rows is a 202 MB worksheet (inline strings).
pub const MAX_XLSX_ENTRY_BYTES: u64 = 300 * MB;

/// An entry larger than [`RATIO_MIN_BYTES`] may be at most this many times its compressed
/// size. Real sheets compress 5–30×; deflate bombs reach about 1,000×.
pub const MAX_XLSX_RATIO: u64 = 100;
/// Small entries are not ratio-checked (an empty styles part compresses 50×).
pub const RATIO_MIN_BYTES: u64 = MB;

/// Entries in the zip (a workbook has about 10–30; images and sheets add one each).
pub const MAX_XLSX_ENTRIES: usize = 10_000;

/// Bytes the zip reader may read to find and parse the central directory. Each directory
/// entry read costs a few hundred bytes of memory, so this bounds the parse at ~25 MB.
pub const MAX_ZIP_DIRECTORY_BYTES: u64 = 4 * MB;

/// One XML token (a tag with its attributes, a text run, a comment) in the parts calamine reads.
pub const MAX_XML_TOKEN_BYTES: u64 = MB;

/// The text inside one element below the row level (a cell, a shared string, a defined
/// name), as raw XML bytes: what calamine may concatenate into one value.
pub const MAX_XML_ELEMENT_TEXT_BYTES: u64 = MB;

/// XML nesting depth (real parts nest under 10).
pub const MAX_XML_DEPTH: usize = 64;

/// Longest XML element name kept for matching end tags.
const MAX_XML_NAME_BYTES: usize = 256;

/// Estimated memory of calamine's shared-string table: 64 bytes per string (the `String`, its
/// allocation, vector growth) plus the part's XML bytes. About 150,000 rows of a roster.
pub const MAX_SHARED_STRINGS_MEMORY: u64 = 64 * MB;
const SHARED_STRING_OVERHEAD: u64 = 64;

const MB: u64 = 1024 * 1024;

/// Stable codes of the refusals (in `RowError::code`).
pub const CODE_TOO_LARGE: &str = "spreadsheet_too_large";
pub const CODE_CELL_TOO_LONG: &str = "cell_too_long";
pub const CODE_ROW_TOO_LONG: &str = "row_too_long";

const HOW_TO_SPLIT: &str = "请把数据分成几个较小的文件分别导入，或在 Excel / WPS 中“另存为 → CSV UTF-8（逗号分隔）”后导入 CSV 文件";

fn file_error(code: &'static str, message: String) -> RowError {
    RowError { row: 0, column: String::new(), message, code: Some(code) }
}

fn mb(bytes: u64) -> String {
    let m = bytes as f64 / MB as f64;
    if m >= 10.0 {
        format!("{m:.0} MB")
    } else {
        format!("{m:.1} MB")
    }
}

/// The message for a cell over [`MAX_CELL_CHARS`].
pub fn cell_too_long(row: usize, column: String, chars: usize) -> RowError {
    RowError {
        row,
        column,
        message: format!(
            "该格有 {chars} 个字，超过了每格最多 {MAX_CELL_CHARS} 个字的上限。请删减该格内容（备注类长文字请勿放在导入表中）后重新上传"
        ),
        code: Some(CODE_CELL_TOO_LONG),
    }
}

/// The message for a row over [`MAX_ROW_BYTES`]; `rest_unread` when reading stops there (CSV).
pub fn row_too_long(row: usize, rest_unread: bool) -> RowError {
    RowError {
        row,
        column: String::new(),
        message: format!(
            "该行内容超过 {} KB，远超正常一行的大小{}。请检查该行是否有多余的长文字、成千上万个列，或 CSV 中缺少配对的英文双引号（\"）",
            MAX_ROW_BYTES / 1024,
            if rest_unread { "，此行及以后的内容未能读取" } else { "" }
        ),
        code: Some(CODE_ROW_TOO_LONG),
    }
}

// ---------------------------------------------------------------------------------------
// CSV: a reader with a per-record byte budget
// ---------------------------------------------------------------------------------------

/// Wraps a CSV source; the CSV reader buffers at most one record, so a budget refilled before
/// each record (see [`BudgetReader::refill`]) bounds the record's memory. Once exhausted every
/// read fails and [`BudgetReader::exhausted`] says so.
pub struct BudgetReader<R> {
    inner: R,
    left: u64,
    exhausted: bool,
}

/// Bytes the CSV reader may read ahead beyond one record (its internal buffer).
const CSV_READ_AHEAD: u64 = 64 * 1024;

impl<R> BudgetReader<R> {
    pub fn new(inner: R) -> Self {
        BudgetReader { inner, left: MAX_ROW_BYTES as u64 + CSV_READ_AHEAD, exhausted: false }
    }
    /// Called before each record.
    pub fn refill(&mut self) {
        self.left = MAX_ROW_BYTES as u64 + CSV_READ_AHEAD;
    }
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }
}

impl<R: Read> Read for BudgetReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            self.exhausted = true;
            return Err(io::Error::other("row too long"));
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------
// XLSX: the zip and its XML parts, checked before calamine opens them
// ---------------------------------------------------------------------------------------

/// Counts bytes read while the zip directory is parsed, and fails past a budget; the budget
/// is shared so it can be lifted once the directory is read.
struct DirBudget<R> {
    inner: R,
    left: Rc<Cell<u64>>,
}

impl<R: Read> Read for DirBudget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.left.get();
        if left == 0 {
            return Err(io::Error::other("zip directory too large"));
        }
        let want = buf.len().min(left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left.set(left - n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for DirBudget<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// What calamine reads: these fixed parts and the worksheets (its sheet paths always start
/// with `xl/worksheets/` for a worksheet; names are compared case-insensitively with `\` as `/`).
fn read_by_calamine(normalized: &str) -> bool {
    matches!(
        normalized,
        "xl/sharedstrings.xml" | "xl/styles.xml" | "xl/workbook.xml" | "xl/_rels/workbook.xml.rels"
    ) || normalized.starts_with("xl/worksheets/")
}

fn damaged(detail: &str) -> RowError {
    file_error(
        CODE_TOO_LARGE,
        format!(
            "Excel 文件的内部结构异常（{detail}），可能已损坏或被人为构造。请在 Excel 或 WPS 中打开，另存为新的 .xlsx 文件后再上传；如仍被拒绝，{HOW_TO_SPLIT}"
        ),
    )
}

/// Checks an .xlsx before calamine opens it: see the module docs. `Ok(())` does not mean the
/// file is a valid workbook (calamine says that), only that reading it stays within the limits.
/// A zip the `zip` crate cannot open at all is left for calamine to report.
pub fn check_xlsx<R: Read + Seek>(file: R) -> Result<(), RowError> {
    let budget = Rc::new(Cell::new(MAX_ZIP_DIRECTORY_BYTES));
    let mut counted = DirBudget { inner: file, left: budget.clone() };
    counted.seek(io::SeekFrom::Start(0)).map_err(|e| damaged(&e.to_string()))?;
    let archive = zip::ZipArchive::new(counted);
    let exhausted = budget.get() == 0;
    budget.set(u64::MAX);
    let mut archive = match archive {
        Ok(a) => a,
        Err(_) if exhausted => {
            return Err(file_error(
                CODE_TOO_LARGE,
                format!(
                    "Excel 文件的目录部分过大（超过 {}），文件可能已损坏，或含有过多的内部文件。请在 Excel 或 WPS 中打开，另存为新的 .xlsx 文件后再上传",
                    mb(MAX_ZIP_DIRECTORY_BYTES)
                ),
            ))
        }
        // Not a zip the reader understands: calamine gives the usual "not a valid .xlsx" message.
        Err(_) => return Ok(()),
    };
    if archive.len() > MAX_XLSX_ENTRIES {
        return Err(file_error(
            CODE_TOO_LARGE,
            format!(
                "Excel 文件内部含有 {} 个部件，超过了 {MAX_XLSX_ENTRIES} 个的上限（正常的工作簿只有几十个）。请只保留需要导入的工作表，另存为新的 .xlsx 文件后再上传",
                archive.len()
            ),
        ));
    }

    // Declared sizes first: refuse without inflating anything.
    let mut declared_total: u64 = 0;
    for i in 0..archive.len() {
        let f = archive.by_index_raw(i).map_err(|e| damaged(&e.to_string()))?;
        let (size, packed, name) = (f.size(), f.compressed_size(), f.name().to_string());
        check_entry_size(&name, size, packed)?;
        declared_total = declared_total.saturating_add(size);
        if declared_total > MAX_XLSX_TOTAL_BYTES {
            return Err(total_too_large(declared_total));
        }
    }

    // Then the real bytes, through a capped reader; the XML calamine reads is scanned.
    let mut buf = vec![0u8; 64 * 1024];
    let mut actual_total: u64 = 0;
    for i in 0..archive.len() {
        let mut f = match archive.by_index(i) {
            Ok(f) => f,
            // Encrypted or an unsupported compression: calamine cannot read it either.
            Err(e) => return Err(damaged(&e.to_string())),
        };
        let declared = f.size();
        let name = f.name().to_string();
        let normalized = name.replace('\\', "/").to_ascii_lowercase();
        let mut scan = read_by_calamine(&normalized).then(|| XmlScan::new(normalized == "xl/sharedstrings.xml"));
        let mut actual: u64 = 0;
        let mut capped = (&mut f).take(declared.saturating_add(1));
        loop {
            let n = match capped.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(damaged(&format!("{name}: {e}"))),
            };
            actual += n as u64;
            if actual > declared {
                return Err(damaged(&format!("“{name}”解压后比文件记录的 {declared} 字节更大")));
            }
            if let Some(s) = scan.as_mut() {
                s.feed(&buf[..n]).map_err(|e| e.into_row_error(&name))?;
            }
        }
        actual_total += actual;
        if actual_total > MAX_XLSX_TOTAL_BYTES {
            return Err(total_too_large(actual_total));
        }
        if let Some(s) = scan {
            s.finish().map_err(|e| e.into_row_error(&name))?;
        }
    }
    Ok(())
}

fn total_too_large(bytes: u64) -> RowError {
    file_error(
        CODE_TOO_LARGE,
        format!(
            "Excel 文件解压后的内容至少有 {}，超过了 {} 的上限（.xlsx 文件实际是一个压缩包）。{HOW_TO_SPLIT}",
            mb(bytes),
            mb(MAX_XLSX_TOTAL_BYTES)
        ),
    )
}

fn check_entry_size(name: &str, size: u64, packed: u64) -> Result<(), RowError> {
    if size > MAX_XLSX_ENTRY_BYTES {
        return Err(file_error(
            CODE_TOO_LARGE,
            format!(
                "Excel 文件中的部件“{name}”解压后有 {}，超过了单个部件 {} 的上限。{HOW_TO_SPLIT}",
                mb(size),
                mb(MAX_XLSX_ENTRY_BYTES)
            ),
        ));
    }
    if size > RATIO_MIN_BYTES && size / packed.max(1) > MAX_XLSX_RATIO {
        return Err(file_error(
            CODE_TOO_LARGE,
            format!(
                "Excel 文件中的部件“{name}”压缩比异常：解压后 {} 是压缩前的 {} 倍（上限 {MAX_XLSX_RATIO} 倍），这是“压缩炸弹”的特征，文件可能被人为构造或已损坏。请在 Excel 或 WPS 中打开，另存为新的 .xlsx 文件后再上传；如仍被拒绝，{HOW_TO_SPLIT}",
                mb(size),
                size / packed.max(1)
            ),
        ));
    }
    Ok(())
}

/// Why an XML part was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlLimit {
    Token(u64),
    ElementText(u64),
    Depth,
    SharedStrings(u64),
    Malformed(&'static str),
}

impl XmlLimit {
    fn into_row_error(self, part: &str) -> RowError {
        match self {
            XmlLimit::Token(_) | XmlLimit::ElementText(_) => file_error(
                CODE_CELL_TOO_LONG,
                format!(
                    "Excel 文件的“{part}”中有一段连续内容超过 {}，远超每格最多 {MAX_CELL_CHARS} 个字的上限。请找出并删减过长的单元格后，另存为新的 .xlsx 文件再上传",
                    mb(MAX_XML_ELEMENT_TEXT_BYTES)
                ),
            ),
            XmlLimit::SharedStrings(bytes) => file_error(
                CODE_TOO_LARGE,
                format!(
                    "Excel 文件中的文字内容过多（读取需要约 {} 内存，上限 {}，约相当于 15 万行）。{HOW_TO_SPLIT}",
                    mb(bytes),
                    mb(MAX_SHARED_STRINGS_MEMORY)
                ),
            ),
            XmlLimit::Depth => damaged(&format!("“{part}”的层级超过 {MAX_XML_DEPTH} 层")),
            XmlLimit::Malformed(what) => damaged(&format!("“{part}”{what}")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Text,
    /// Just after `<`.
    Lt,
    /// Collecting a start tag's name.
    StartName,
    /// Inside a start tag after its name; `quote` is the open quote, `slash` whether the last
    /// byte outside quotes was `/`.
    Attrs { quote: u8, slash: bool },
    /// Collecting an end tag's name (after `</`).
    EndName,
    /// After an end tag's name, until `>`.
    EndRest,
    /// After `<!`: `matched` bytes of `--` or `[CDATA[` seen so far.
    Bang { matched: u8, cdata: bool },
    /// In a comment; `dashes` consecutive `-` just seen.
    Comment { dashes: u8 },
    /// In CDATA; `brackets` consecutive `]` just seen.
    CData { brackets: u8 },
    /// In a processing instruction; whether the last byte was `?`.
    Pi { q: bool },
}

/// A streaming scan of one XML part: bounded tokens, element text, depth, shared strings.
/// Stricter than calamine's XML reader (well-formed nesting, no DOCTYPE), which every part
/// written by Excel, WPS or a library passes.
pub struct XmlScan {
    st: St,
    /// Bytes in the current token.
    token: u64,
    /// Open elements: (name, exempt from the element-text bound).
    stack: Vec<(Vec<u8>, bool)>,
    name: Vec<u8>,
    /// Depth (stack length) at which the outermost bounded element was opened.
    bounded_at: Option<usize>,
    element_text: u64,
    shared_strings: bool,
    strings: u64,
    bytes: u64,
}

const CDATA: &[u8] = b"[CDATA[";

impl XmlScan {
    /// `shared_strings`: this is the shared-string table (its memory estimate is checked).
    pub fn new(shared_strings: bool) -> Self {
        XmlScan {
            st: St::Text,
            token: 0,
            stack: Vec::new(),
            name: Vec::new(),
            bounded_at: None,
            element_text: 0,
            shared_strings,
            strings: 0,
            bytes: 0,
        }
    }

    /// Scans a whole part at once (tests and fuzzing).
    pub fn scan(bytes: &[u8], shared_strings: bool) -> Result<(), XmlLimit> {
        let mut s = XmlScan::new(shared_strings);
        s.feed(bytes)?;
        s.finish()
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), XmlLimit> {
        self.bytes += chunk.len() as u64;
        let mut i = 0;
        while i < chunk.len() {
            let rest = &chunk[i..];
            match self.st {
                // Fast paths (memchr) for the bulk of a part: text up to the next `<`, a quoted
                // attribute value, the rest of a tag up to a quote or `>`.
                St::Text => {
                    let run = memchr::memchr(b'<', rest).unwrap_or(rest.len());
                    self.text(run as u64)?;
                    i += run;
                    if i == chunk.len() {
                        break;
                    }
                    self.token = 0;
                    self.st = St::Lt;
                    self.tick()?;
                    i += 1;
                }
                St::Attrs { quote, .. } if quote != 0 => {
                    let (run, closed) = match memchr::memchr(quote, rest) {
                        Some(p) => (p + 1, true),
                        None => (rest.len(), false),
                    };
                    self.markup(run)?;
                    i += run;
                    if closed {
                        self.st = St::Attrs { quote: 0, slash: false };
                    }
                }
                St::Attrs { slash, .. } => {
                    let run = memchr::memchr3(b'"', b'\'', b'>', rest).unwrap_or(rest.len());
                    // `/` counts when it is the last byte before `>` but for spaces.
                    let slash = match rest[..run].iter().rposition(|b| !b.is_ascii_whitespace()) {
                        Some(j) => rest[j] == b'/',
                        None => slash,
                    };
                    self.markup(run)?;
                    self.st = St::Attrs { quote: 0, slash };
                    i += run;
                    if let Some(&b) = chunk.get(i) {
                        i += 1;
                        self.tick()?;
                        self.step(b)?;
                    }
                }
                _ => {
                    i += 1;
                    self.tick()?;
                    self.step(rest[0])?;
                }
            }
        }
        if self.shared_strings {
            let estimate = self.strings.saturating_mul(SHARED_STRING_OVERHEAD).saturating_add(self.bytes);
            if estimate > MAX_SHARED_STRINGS_MEMORY {
                return Err(XmlLimit::SharedStrings(estimate));
            }
        }
        Ok(())
    }

    /// At the end of the part: an unterminated token is malformed.
    pub fn finish(self) -> Result<(), XmlLimit> {
        match self.st {
            St::Text => Ok(()),
            _ => Err(XmlLimit::Malformed("在标记中间结束")),
        }
    }

    fn tick(&mut self) -> Result<(), XmlLimit> {
        self.markup(1)
    }

    /// Bytes of markup (inside a tag) added to the current token.
    fn markup(&mut self, n: usize) -> Result<(), XmlLimit> {
        self.token += n as u64;
        if self.token > MAX_XML_TOKEN_BYTES {
            return Err(XmlLimit::Token(self.token));
        }
        Ok(())
    }

    /// Text bytes (a text run or CDATA content).
    fn text(&mut self, n: u64) -> Result<(), XmlLimit> {
        if n == 0 {
            return Ok(());
        }
        self.token += n;
        if self.token > MAX_XML_TOKEN_BYTES {
            return Err(XmlLimit::Token(self.token));
        }
        if self.bounded_at.is_some() {
            self.element_text += n;
            if self.element_text > MAX_XML_ELEMENT_TEXT_BYTES {
                return Err(XmlLimit::ElementText(self.element_text));
            }
        }
        Ok(())
    }

    fn push_name(&mut self, b: u8) -> Result<(), XmlLimit> {
        if self.name.len() >= MAX_XML_NAME_BYTES {
            return Err(XmlLimit::Malformed("含有过长的标记名"));
        }
        self.name.push(b);
        Ok(())
    }

    fn start_tag(&mut self, empty: bool) -> Result<(), XmlLimit> {
        let name = std::mem::take(&mut self.name);
        if name.is_empty() {
            return Err(XmlLimit::Malformed("含有空的标记名"));
        }
        let local = name.rsplit(|&c| c == b':').next().unwrap_or(&name);
        if self.shared_strings && local == b"si" {
            self.strings += 1;
        }
        if empty {
            return Ok(());
        }
        if self.stack.len() >= MAX_XML_DEPTH {
            return Err(XmlLimit::Depth);
        }
        // The root, and sheetData/row directly under exempt parents, hold whole sheets; any
        // other element's text is what calamine may join into one value.
        let exempt = match self.stack.last() {
            None => true,
            Some((_, parent_exempt)) => *parent_exempt && (local == b"sheetData" || local == b"row"),
        };
        self.stack.push((name, exempt));
        if !exempt && self.bounded_at.is_none() {
            self.bounded_at = Some(self.stack.len());
            self.element_text = 0;
        }
        Ok(())
    }

    fn end_tag(&mut self) -> Result<(), XmlLimit> {
        let name = std::mem::take(&mut self.name);
        match self.stack.pop() {
            Some((open, _)) if open == name => {}
            _ => return Err(XmlLimit::Malformed("的开始和结束标记不配对")),
        }
        if self.bounded_at.is_some_and(|d| d > self.stack.len()) {
            self.bounded_at = None;
        }
        Ok(())
    }

    fn step(&mut self, b: u8) -> Result<(), XmlLimit> {
        self.st = match self.st {
            St::Text => unreachable!("handled by the fast path"),
            St::Lt => match b {
                b'/' => St::EndName,
                b'?' => St::Pi { q: false },
                b'!' => St::Bang { matched: 0, cdata: false },
                b'>' => return Err(XmlLimit::Malformed("含有空标记")),
                _ if b.is_ascii_whitespace() => return Err(XmlLimit::Malformed("含有不完整的标记")),
                _ => {
                    self.name.clear();
                    self.push_name(b)?;
                    St::StartName
                }
            },
            St::StartName => match b {
                b'>' => {
                    self.start_tag(false)?;
                    self.end_token()
                }
                b'/' => St::Attrs { quote: 0, slash: true },
                _ if b.is_ascii_whitespace() => St::Attrs { quote: 0, slash: false },
                _ => {
                    self.push_name(b)?;
                    St::StartName
                }
            },
            St::Attrs { quote, slash } => {
                if quote != 0 {
                    St::Attrs { quote: if b == quote { 0 } else { quote }, slash: false }
                } else {
                    match b {
                        b'"' | b'\'' => St::Attrs { quote: b, slash: false },
                        b'>' => {
                            self.start_tag(slash)?;
                            self.end_token()
                        }
                        b'/' => St::Attrs { quote: 0, slash: true },
                        _ if b.is_ascii_whitespace() => St::Attrs { quote: 0, slash },
                        _ => St::Attrs { quote: 0, slash: false },
                    }
                }
            }
            St::EndName => match b {
                b'>' => {
                    self.end_tag()?;
                    self.end_token()
                }
                _ if b.is_ascii_whitespace() => St::EndRest,
                _ => {
                    self.push_name(b)?;
                    St::EndName
                }
            },
            St::EndRest => match b {
                b'>' => {
                    self.end_tag()?;
                    self.end_token()
                }
                _ if b.is_ascii_whitespace() => St::EndRest,
                _ => return Err(XmlLimit::Malformed("含有不完整的结束标记")),
            },
            St::Bang { matched, cdata } => {
                let m = matched as usize;
                if m == 0 && b == b'-' {
                    St::Bang { matched: 1, cdata: false }
                } else if m == 1 && !cdata && b == b'-' {
                    St::Comment { dashes: 0 }
                } else if (m == 0 || cdata) && CDATA.get(m) == Some(&b) {
                    if m + 1 == CDATA.len() {
                        St::CData { brackets: 0 }
                    } else {
                        St::Bang { matched: matched + 1, cdata: true }
                    }
                } else {
                    // <!DOCTYPE …> (entity definitions) and anything else: Excel never writes them.
                    return Err(XmlLimit::Malformed("含有文档类型定义（DOCTYPE）或无法识别的标记"));
                }
            }
            St::Comment { dashes } => match b {
                b'-' => St::Comment { dashes: dashes.saturating_add(1) },
                b'>' if dashes >= 2 => self.end_token(),
                _ => St::Comment { dashes: 0 },
            },
            St::CData { brackets } => {
                // CDATA content counts as text (the closing `]]>` too, conservatively).
                self.text_in_token(1)?;
                match b {
                    b']' => St::CData { brackets: brackets.saturating_add(1) },
                    b'>' if brackets >= 2 => self.end_token(),
                    _ => St::CData { brackets: 0 },
                }
            }
            St::Pi { q } => match b {
                b'>' if q => self.end_token(),
                _ => St::Pi { q: b == b'?' },
            },
        };
        Ok(())
    }

    /// Element text counted for a byte already counted in the token.
    fn text_in_token(&mut self, n: u64) -> Result<(), XmlLimit> {
        if self.bounded_at.is_some() {
            self.element_text += n;
            if self.element_text > MAX_XML_ELEMENT_TEXT_BYTES {
                return Err(XmlLimit::ElementText(self.element_text));
            }
        }
        Ok(())
    }

    fn end_token(&mut self) -> St {
        self.token = 0;
        St::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    /// A minimal workbook whose shared-string table is `strings` (streamed in `chunk`s).
    fn workbook(strings: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let o = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, body) in [
            ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#),
            ("xl/workbook.xml", r#"<?xml version="1.0"?><workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0"?><Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#),
            ("xl/worksheets/sheet1.xml", r#"<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#),
        ] {
            z.start_file(name, o).unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.start_file("xl/sharedStrings.xml", o).unwrap();
        strings(&mut z);
        z.finish().unwrap().into_inner()
    }

    fn code(r: Result<(), RowError>) -> Option<&'static str> {
        r.err().and_then(|e| e.code)
    }

    #[test]
    fn a_real_workbook_passes() {
        let bytes = crate::members::sheets::member_template_xlsx().unwrap();
        check_xlsx(Cursor::new(bytes)).unwrap();
        let small = workbook(|w| w.write_all(b"<sst><si><t>\xE5\xBC\xA0\xE4\xB8\x89</t></si></sst>").unwrap());
        check_xlsx(Cursor::new(small)).unwrap();
    }

    #[test]
    fn declared_size_over_the_entry_cap_is_refused_before_inflating() {
        // 310 MiB of one byte deflates to about 300 KB.
        let bomb = workbook(|w| {
            w.write_all(b"<sst><si><t>").unwrap();
            let block = vec![b'A'; 1 << 20];
            for _ in 0..310 {
                w.write_all(&block).unwrap();
            }
            w.write_all(b"</t></si></sst>").unwrap();
        });
        assert!(bomb.len() < 1 << 20, "{}", bomb.len());
        let e = check_xlsx(Cursor::new(bomb)).unwrap_err();
        assert_eq!((e.row, e.code), (0, Some(CODE_TOO_LARGE)));
        assert!(e.message.contains("xl/sharedStrings.xml") && e.message.contains("CSV"), "{}", e.message);
    }

    #[test]
    fn ratio_and_lying_sizes_are_refused() {
        // 20 MB of one byte: under the size caps, over the ratio.
        let dense = workbook(|w| {
            let block = vec![b' '; 1 << 20];
            w.write_all(b"<sst>").unwrap();
            for _ in 0..20 {
                w.write_all(&block).unwrap();
            }
            w.write_all(b"</sst>").unwrap();
        });
        let e = check_xlsx(Cursor::new(dense.clone())).unwrap_err();
        assert!(e.message.contains("压缩比"), "{}", e.message);

        // The same with its declared size rewritten to 1,000 bytes: caught while inflating.
        let lying = declare_size(dense, "xl/sharedStrings.xml", 1000);
        let e = check_xlsx(Cursor::new(lying)).unwrap_err();
        assert_eq!(e.code, Some(CODE_TOO_LARGE));
        assert!(e.message.contains("更大"), "{}", e.message);
    }

    /// Rewrites an entry's uncompressed size in its local header and its directory record.
    pub(crate) fn declare_size(mut zip: Vec<u8>, name: &str, size: u32) -> Vec<u8> {
        let mut patched = 0;
        for i in 0..zip.len().saturating_sub(46) {
            let (sig, name_at, size_at, len_at) = match &zip[i..i + 4] {
                b"PK\x03\x04" => ("local", 30, 22, 26),
                b"PK\x01\x02" => ("central", 46, 24, 28),
                _ => continue,
            };
            let _ = sig;
            let n = u16::from_le_bytes([zip[i + len_at], zip[i + len_at + 1]]) as usize;
            if zip.get(i + name_at..i + name_at + n) == Some(name.as_bytes()) {
                zip[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
                patched += 1;
            }
        }
        assert_eq!(patched, 2);
        zip
    }

    #[test]
    fn one_long_string_is_refused_even_when_it_compresses_badly() {
        // 1.5 MB of varied letters in one shared string: small ratio, under the size caps.
        let mut x: u32 = 1;
        let long = workbook(|w| {
            w.write_all(b"<sst><si><t>").unwrap();
            let text: Vec<u8> = (0..1_500_000)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    b'a' + (x >> 16) as u8 % 26
                })
                .collect();
            w.write_all(&text).unwrap();
            w.write_all(b"</t></si></sst>").unwrap();
        });
        assert_eq!(code(check_xlsx(Cursor::new(long))), Some(CODE_CELL_TOO_LONG));
    }

    #[test]
    fn xml_scan_bounds_what_calamine_joins() {
        let ok = |xml: &[u8]| XmlScan::scan(xml, true);
        ok(b"<?xml version=\"1.0\"?>\n<sst count=\"2\"><si><t xml:space=\"preserve\"> a&amp;b </t></si><si><r><rPr><b/></rPr><t>x</t></r></si><!-- c --><si><t><![CDATA[<y>]]></t></si></sst>").unwrap();
        // Rich-text runs, nested junk and CDATA all count toward one element's text.
        let runs: Vec<u8> = [&b"<sst><si>"[..], &b"<r><t>0123456789</t><x/></r>".repeat(110_000), b"</si></sst>"].concat();
        assert!(matches!(ok(&runs), Err(XmlLimit::ElementText(_))));
        // A sheet's rows and cells may hold any amount in total, each cell is bounded.
        let cells = b"<c r=\"A1\" t=\"inlineStr\"><is><t>abcdefghij</t></is></c>".repeat(50_000);
        let sheet = [&b"<worksheet><sheetData><row r=\"1\">"[..], &cells, b"</row></sheetData></worksheet>"].concat();
        XmlScan::scan(&sheet, false).unwrap();
        let big_cell = [&b"<worksheet><sheetData><row><c><v>"[..], &vec![b'1'; (MB + 1) as usize], b"</v></c></row></sheetData></worksheet>"].concat();
        assert!(matches!(XmlScan::scan(&big_cell, false), Err(XmlLimit::Token(_) | XmlLimit::ElementText(_))));
        // One tag (a huge attribute, '>' inside quotes) is one token.
        let tag = [&b"<sst a=\""[..], &b"x>".repeat(600_000), b"\"/>"].concat();
        assert!(matches!(ok(&tag), Err(XmlLimit::Token(_))));
        // What Excel never writes.
        assert!(matches!(ok(b"<!DOCTYPE x [<!ENTITY a \"b\">]><sst/>"), Err(XmlLimit::Malformed(_))));
        assert!(matches!(ok(b"<sst><si></sst>"), Err(XmlLimit::Malformed(_))));
        assert!(matches!(ok(b"<sst><si"), Err(XmlLimit::Malformed(_))));
        let deep = [b"<a>".repeat(MAX_XML_DEPTH + 1), b"</a>".repeat(MAX_XML_DEPTH + 1)].concat();
        assert_eq!(ok(&deep), Err(XmlLimit::Depth));
        // Many tiny strings: the table's memory estimate.
        let many = [&b"<sst>"[..], &b"<si><t>1</t></si>".repeat(1_000_000), b"</sst>"].concat();
        assert!(matches!(ok(&many), Err(XmlLimit::SharedStrings(_))));
        XmlScan::scan(&many, false).unwrap();
    }

    #[test]
    fn xml_scan_does_not_depend_on_chunking() {
        let xml = br#"<?xml version="1.0"?><sst><si><t a='>' b=">">x&lt;y</t></si><!-- -- > --><si><t><![CDATA[ ]] ]> ]]></t></si><si/></sst>"#;
        XmlScan::scan(xml, true).unwrap();
        for size in 1..xml.len() {
            let mut s = XmlScan::new(true);
            for chunk in xml.chunks(size) {
                s.feed(chunk).unwrap();
            }
            s.finish().unwrap();
        }
    }

    #[test]
    fn budget_reader_stops_a_long_record() {
        let mut r = BudgetReader::new(Cursor::new(vec![b'x'; 2 * MAX_ROW_BYTES]));
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
        assert!(r.exhausted());
        assert!(out.len() <= MAX_ROW_BYTES + CSV_READ_AHEAD as usize);
        r.refill();
        let mut buf = [0u8; 10];
        assert_eq!(r.read(&mut buf).unwrap(), 10);
    }
}
