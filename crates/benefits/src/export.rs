//! Downloads of a payroll cycle: every payment line the user may see as CSV or XLSX, streamed
//! from the database row by row, so a district's million-line month never sits in memory. The
//! lines are those of the user's scope, as on the cycle page (a street officer exports the
//! street's lines of the district's cycle, with their count and sum, not the district's control
//! totals); ID numbers are masked unless the user may see them whole; every export is an audit
//! row saying how many lines of which scope left and what was in them whole, since it carries
//! personal data out of the system.

use crate::BenefitsError;
use crate::payroll::{self, Cycle};
use crate::programs::Program;
use minzheng_access::{AccessError, Action, Principal};
use minzheng_kernel::mask;
use minzheng_kernel::money::Fen;
use minzheng_kernel::month::Month;
use minzheng_kernel::sheet::{Cell, CsvWriter, XlsxWriter};
use minzheng_store::audit::{self, AuditEntry};
use minzheng_store::{StoreError, ToValue, Tx, params};
use std::io::Write;

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// UTF-8 CSV with a byte-order mark: the payment lines only, for other programs to read.
    Csv,
    /// An Excel workbook: the lines (split over sheets beyond Excel's row limit) and a summary
    /// sheet with the control totals next to the actual sums.
    Xlsx,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The columns of the payment lines.
pub const HEADERS: [&str; 9] = [
    "编号",
    "项目",
    "身份证号",
    "区划",
    "银行",
    "类型",
    "所属月份",
    "金额(元)",
    "说明",
];

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// Payment lines written.
    pub lines: u64,
    /// Their sum.
    pub total_fen: i64,
}

/// The Chinese name of a payment kind.
pub fn kind_name(kind: &str) -> &'static str {
    match kind {
        "regular" => "正常",
        "arrears" => "补发",
        "recovery" => "追回",
        "reissue" => "重发",
        _ => "其他",
    }
}

/// The cycle with that id when the user may read it; "not found" otherwise, so a cycle of another
/// district cannot be told apart from one that does not exist.
pub fn cycle(tx: &mut Tx<'_>, who: &Principal, cycle_id: i64) -> Result<Cycle, BenefitsError> {
    who.require(Action::BenefitsRead)?;
    payroll::load_cycle(tx, who, cycle_id).map_err(|e| match e {
        BenefitsError::Invalid(_) => AccessError::NotFound.into(),
        e => e,
    })
}

/// The download's file name, e.g. `发放明细-500103-2020-03.xlsx`.
pub fn file_name(cycle: &Cycle, format: Format) -> String {
    format!(
        "发放明细-{}-{}.{}",
        cycle.district_code,
        cycle.month,
        format.extension()
    )
}

/// What an export shows whole, for its audit row: the ID numbers to a user who may see them.
fn unmasked(who: &Principal) -> Vec<&'static str> {
    if who.can(Action::PersonUnmask) {
        vec!["id_number"]
    } else {
        Vec::new()
    }
}

/// Records that `who` exports the cycle (checking they may), before any byte leaves; returns it.
pub fn record_export(
    tx: &mut Tx<'_>,
    who: &Principal,
    cycle_id: i64,
    format: Format,
) -> Result<Cycle, BenefitsError> {
    let c = cycle(tx, who, cycle_id)?;
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "payroll.export",
            record_type: "payroll_cycle",
            record_id: cycle_id.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({
                "format": format.extension(),
                "lines": c.line_count,
                "total_fen": c.total_fen,
                "whole_district": c.whole,
                "scope": who.scope().as_prefixes(),
                "unmasked": unmasked(who),
            }),
        },
    )?;
    Ok(c)
}

fn io(e: std::io::Error) -> BenefitsError {
    BenefitsError::Store(StoreError::Io(format!("写出导出文件失败：{e}")))
}

/// Writes every payment line of the cycle to `out` in `format`, in line order, from one read;
/// hands `out` back with what was written. Needs [`Action::BenefitsRead`] and the cycle in scope.
pub fn write_cycle<W: Write>(
    tx: &mut Tx<'_>,
    who: &Principal,
    cycle_id: i64,
    format: Format,
    out: W,
) -> Result<(W, Exported), BenefitsError> {
    let c = cycle(tx, who, cycle_id)?;
    write_cycles(tx, who, &[c], format, out)
}

/// Records that `who` exports a whole month (checking they may and that there is something to
/// export), before any byte leaves.
pub fn record_month_export(
    tx: &mut Tx<'_>,
    who: &Principal,
    month: Month,
    format: Format,
) -> Result<Vec<Cycle>, BenefitsError> {
    who.require(Action::BenefitsRead)?;
    let cycles = payroll::cycles(tx, who, month)?;
    if cycles.is_empty() {
        return Err(BenefitsError::Invalid(format!(
            "{month} 在您的辖区内尚未生成发放名册"
        )));
    }
    audit::append(
        tx,
        &who.audit(),
        AuditEntry {
            action: "payroll.export",
            record_type: "payroll_month",
            record_id: month.to_string(),
            subject_key: None,
            before: None,
            after: None,
            detail: serde_json::json!({
                "format": format.extension(),
                "cycles": cycles.len(),
                "lines": cycles.iter().map(|c| c.line_count).sum::<i64>(),
                "total_fen": cycles.iter().map(|c| c.total_fen).sum::<i64>(),
                "whole_districts": cycles.iter().filter(|c| c.whole).map(|c| c.district_code.as_str()).collect::<Vec<_>>(),
                "scope": who.scope().as_prefixes(),
                "unmasked": unmasked(who),
            }),
        },
    )?;
    Ok(cycles)
}

/// Writes every line of a month's cycles in the user's scope, district after district: the whole
/// city's month is about 1.5 million lines, so the workbook goes on over several sheets (the CSV
/// is one file).
pub fn write_month<W: Write>(
    tx: &mut Tx<'_>,
    who: &Principal,
    month: Month,
    format: Format,
    out: W,
) -> Result<(W, Exported), BenefitsError> {
    who.require(Action::BenefitsRead)?;
    let cycles = payroll::cycles(tx, who, month)?;
    write_cycles(tx, who, &cycles, format, out)
}

/// The month download's file name, e.g. `发放明细-2020-03.xlsx`.
pub fn month_file_name(month: Month, format: Format) -> String {
    format!("发放明细-{month}.{}", format.extension())
}

fn write_cycles<W: Write>(
    tx: &mut Tx<'_>,
    who: &Principal,
    cycles: &[Cycle],
    format: Format,
    out: W,
) -> Result<(W, Exported), BenefitsError> {
    let unmask = who.can(Action::PersonUnmask);
    let mut sink = match format {
        Format::Csv => Sink::Csv(CsvWriter::new(out, &HEADERS).map_err(io)?),
        Format::Xlsx => Sink::Xlsx(Box::new(
            XlsxWriter::new(out, "明细", &HEADERS).map_err(io)?,
        )),
    };
    let mut done = Exported {
        lines: 0,
        total_fen: 0,
    };
    // Program names looked up once per code, not per line.
    let mut programs: Vec<(String, &'static str)> = Vec::new();
    for c in cycles {
        let (cond, values) = payroll::line_scope(who, c, 2);
        let mut ps: Vec<&dyn ToValue> = vec![&c.id];
        ps.extend(values.iter().map(|v| v as &dyn ToValue));
        tx.query_each(
        &format!("SELECT id, program, id_number, region_code, bank_code, kind, for_month, amount_fen, explanation
         FROM payment WHERE cycle_id = $1 AND {cond} ORDER BY id"),
        &ps,
        |mut row| -> Result<(), BenefitsError> {
            let id: i64 = row.take(0)?;
            let program: String = row.take(1)?;
            let program_name = match programs.iter().find(|(c, _)| *c == program) {
                Some((_, n)) => *n,
                None => {
                    let n = Program::parse(&program)?.name_zh();
                    programs.push((program, n));
                    n
                }
            };
            let id_number: String = row.take(2)?;
            let shown = if unmask {
                id_number
            } else {
                mask::id_number(&id_number)
            };
            let region: String = row.take(3)?;
            let bank: String = row.take(4)?;
            let kind: String = row.take(5)?;
            let for_month: String = row.take(6)?;
            let amount: i64 = row.take(7)?;
            let explanation: String = row.take(8)?;
            sink.row(&[
                Cell::Int(id),
                Cell::Text(program_name),
                Cell::Text(&shown),
                Cell::Text(&region),
                Cell::Text(&bank),
                Cell::Text(kind_name(&kind)),
                Cell::Text(&for_month),
                Cell::Money(Fen(amount)),
                Cell::Text(&explanation),
            ])
            .map_err(io)?;
            done.lines += 1;
            done.total_fen += amount;
            Ok(())
        },
    )?;
    }
    let out = match sink {
        Sink::Csv(w) => w.finish().map_err(io)?,
        Sink::Xlsx(mut w) => {
            summary(tx, who, cycles, &mut w)?;
            w.finish().map_err(io)?
        }
    };
    Ok((out, done))
}

enum Sink<W: Write> {
    Csv(CsvWriter<W>),
    Xlsx(Box<XlsxWriter<W>>),
}

impl<W: Write> Sink<W> {
    fn row(&mut self, cells: &[Cell<'_>]) -> std::io::Result<()> {
        match self {
            Sink::Csv(w) => w.row(cells),
            Sink::Xlsx(w) => w.row(cells),
        }
    }
}

/// One program and bank: the control totals recorded with the cycle (to a user who holds the
/// whole district) and the actual sums of the lines the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalRow {
    /// The program's code.
    pub program: String,
    /// Its Chinese name.
    pub program_name: String,
    /// The bank.
    pub bank_code: String,
    /// Control count and amount; `None` to a user who sees part of the district only.
    pub control: Option<(i64, i64)>,
    /// Lines actually there.
    pub actual_count: i64,
    /// Their sum.
    pub actual_fen: i64,
}

impl TotalRow {
    /// Whether control and actual agree (nothing to compare for a part of the district).
    pub fn agrees(&self) -> bool {
        self.control
            .is_none_or(|c| c == (self.actual_count, self.actual_fen))
    }
}

/// Per program and bank: the control totals next to the actual sums of the payment lines, or to
/// a user who sees part of the district only, the sums of the lines in their scope.
pub fn totals(
    tx: &mut Tx<'_>,
    who: &Principal,
    cycle: &Cycle,
) -> Result<Vec<TotalRow>, BenefitsError> {
    let mut out: Vec<TotalRow> = Vec::new();
    if cycle.whole {
        for r in tx.query(
            "SELECT program, bank_code, line_count, total_fen FROM payroll_total WHERE cycle_id = $1 ORDER BY program, bank_code",
            params![cycle.id],
        )? {
            out.push(TotalRow {
                program: r.get(0)?,
                program_name: String::new(),
                bank_code: r.get(1)?,
                control: Some((r.get(2)?, r.get(3)?)),
                actual_count: 0,
                actual_fen: 0,
            });
        }
    }
    let (cond, values) = payroll::line_scope(who, cycle, 2);
    let mut ps: Vec<&dyn ToValue> = vec![&cycle.id];
    ps.extend(values.iter().map(|v| v as &dyn ToValue));
    for r in tx.query(
        &format!("SELECT program, bank_code, COUNT(*), CAST(SUM(amount_fen) AS BIGINT) FROM payment WHERE cycle_id = $1 AND {cond} GROUP BY program, bank_code"),
        &ps,
    )? {
        let (program, bank): (String, String) = (r.get(0)?, r.get(1)?);
        let (count, sum): (i64, i64) = (r.get(2)?, r.get(3)?);
        match out
            .iter_mut()
            .find(|t| t.program == program && t.bank_code == bank)
        {
            Some(t) => {
                t.actual_count = count;
                t.actual_fen = sum;
            }
            None => out.push(TotalRow {
                program,
                program_name: String::new(),
                bank_code: bank,
                control: cycle.whole.then_some((0, 0)),
                actual_count: count,
                actual_fen: sum,
            }),
        }
    }
    for t in &mut out {
        t.program_name = Program::parse(&t.program)
            .map(|p| p.name_zh().to_owned())
            .unwrap_or_else(|_| t.program.clone());
    }
    out.sort_by(|a, b| (&a.program, &a.bank_code).cmp(&(&b.program, &b.bank_code)));
    Ok(out)
}

fn summary<W: Write>(
    tx: &mut Tx<'_>,
    who: &Principal,
    cycles: &[Cycle],
    w: &mut XlsxWriter<W>,
) -> Result<(), BenefitsError> {
    w.sheet(
        "汇总",
        &[
            "区县",
            "项目",
            "银行",
            "控制笔数",
            "控制金额(元)",
            "实际笔数",
            "实际金额(元)",
            "核对",
        ],
    )
    .map_err(io)?;
    const PART: &str = "仅含您辖区内的明细，不与区县控制数核对";
    for cycle in cycles {
        let rows = totals(tx, who, cycle)?;
        let (mut count, mut sum) = (0, 0);
        for t in &rows {
            count += t.actual_count;
            sum += t.actual_fen;
            let (control_count, control_fen) = match t.control {
                Some((c, f)) => (Cell::Int(c), Cell::Money(Fen(f))),
                None => (Cell::Empty, Cell::Empty),
            };
            w.row(&[
                Cell::Text(&cycle.district_code),
                Cell::Text(&t.program_name),
                Cell::Text(&t.bank_code),
                control_count,
                control_fen,
                Cell::Int(t.actual_count),
                Cell::Money(Fen(t.actual_fen)),
                Cell::Text(match (t.control, t.agrees()) {
                    (None, _) => PART,
                    (Some(_), true) => "相符",
                    (Some(_), false) => "不符",
                }),
            ])
            .map_err(io)?;
        }
        let check = if !cycle.whole {
            PART.to_owned()
        } else {
            match payroll::check_totals(tx, cycle) {
                Ok(()) => "相符".to_owned(),
                Err(BenefitsError::Conflict(m)) => m,
                Err(e) => return Err(e),
            }
        };
        w.row(&[
            Cell::Text(&cycle.district_code),
            Cell::Text("合计"),
            Cell::Text(&format!(
                "{} 月 {} · {}",
                cycle.month,
                cycle.district_code,
                payroll::stage_name(&cycle.status)
            )),
            if cycle.whole {
                Cell::Int(cycle.line_count)
            } else {
                Cell::Empty
            },
            if cycle.whole {
                Cell::Money(Fen(cycle.total_fen))
            } else {
                Cell::Empty
            },
            Cell::Int(count),
            Cell::Money(Fen(sum)),
            Cell::Text(&check),
        ])
        .map_err(io)?;
    }
    Ok(())
}
