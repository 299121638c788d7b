/**
 * The month's orders and execution ledger as an Excel workbook (seed 6.x archives; seed 2.1
 * request ledger, 2.2 execution ledger), made with exceljs. Sheets `Summary`, `Orders`, `Ledger`,
 * `Missed deadlines`; header row frozen and filterable; times are Excel dates showing the estate's
 * wall-clock time (./month.ts), durations and counts are numbers, rates are percentages.
 * Every text cell goes through the CSV export's formula rule (gateway/core/csv.ts `defuseFormula`).
 */
import ExcelJS from 'exceljs';
import { defuseFormula } from '../core/csv.js';
import type { LedgerEntry, WorkOrder } from '../core/model.js';
import { wallDate } from './month.js';
import { deadlineOutcomes, type Compliance, type MonthlyReport } from './report.js';

export const SHEETS = ['Summary', 'Orders', 'Ledger', 'Missed deadlines'] as const;
const DATE_FMT = 'yyyy-mm-dd hh:mm';
const PCT_FMT = '0.0%';

type Kind = 'text' | 'date' | 'number' | 'percent';
interface Col { header: string; width: number; kind: Kind }
type CellIn = string | number | null | undefined;

function sheet(wb: ExcelJS.Workbook, name: string, cols: readonly Col[], rows: readonly CellIn[][], zone: string): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = cols.map((c) => ({
    header: c.header, width: c.width,
    ...(c.kind === 'date' ? { style: { numFmt: DATE_FMT } } : c.kind === 'percent' ? { style: { numFmt: PCT_FMT } } : {}),
  }));
  ws.getRow(1).font = { bold: true };
  for (const r of rows) {
    ws.addRow(r.map((v, i) => {
      if (v === null || v === undefined) return null;
      const kind = cols[i]!.kind;
      if (kind === 'date' && typeof v === 'number') return wallDate(v, zone);
      if (typeof v === 'number') return v;
      return defuseFormula(v);
    }));
  }
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: cols.length } };
  return ws;
}

const rateOf = (c: Compliance): number | null => c.rate;

export interface WorkbookInput {
  report: MonthlyReport;
  orders: readonly WorkOrder[];
  ledger: readonly LedgerEntry[];
}

export async function buildWorkbook({ report, orders, ledger }: WorkbookInput): Promise<Buffer> {
  const zone = report.timezone;
  const wb = new ExcelJS.Workbook();
  wb.creator = 'facility-gateway';
  wb.created = new Date(report.generatedAt);
  wb.modified = new Date(report.generatedAt);
  wb.title = `${report.estate.name} ${report.month}`;

  // Summary: one number per row, `metric / scope / value` like the KPI CSV (gateway/workorders/kpis.ts).
  const s: CellIn[][] = [];
  const text = (metric: string, value: string) => s.push([metric, '', value, null]);
  const num = (metric: string, scope: string, value: number | null) => s.push([metric, scope, null, value]);
  const pct = (metric: string, scope: string, value: number | null) => s.push([metric, scope, null, null, value]);
  text('estate 小区', `${report.estate.name} (${report.estate.code})`);
  text('month 月份', report.month);
  text('status 状态', report.provisional ? 'provisional 未归档' : 'closed 已归档');
  text('time zone 时区', zone);
  s.push(['generated at 生成时间', '', null, null, null, report.generatedAt]);
  pct('SLA response 响应达标率', 'all', rateOf(report.slaOverall.response));
  pct('SLA on site 到场达标率', 'all', rateOf(report.slaOverall.onSite));
  for (const c of report.sla) {
    pct('SLA response 响应达标率', c.category, rateOf(c.response));
    num('response due 应响应', c.category, c.response.due);
    pct('SLA on site 到场达标率', c.category, rateOf(c.onSite));
    num('on site due 应到场', c.category, c.onSite.due);
  }
  num('alarms 报警', 'all', report.incidents.alarms.total);
  for (const [c, n] of Object.entries(report.incidents.alarms.byCategory)) num('alarms 报警', c, n);
  num('orders 工单', 'all', report.incidents.orders.total);
  for (const [c, p] of Object.entries(report.incidents.orders.byCategory)) num('orders 工单', c, p.total);
  for (const [p, n] of Object.entries(report.incidents.orders.byPriority)) num('orders 工单', p, n);
  num('mean response, min 平均响应(分钟)', '', report.times.meanResponseMinutes);
  num('median response, min 响应中位数(分钟)', '', report.times.medianResponseMinutes);
  num('p90 response, min 响应P90(分钟)', '', report.times.p90ResponseMinutes);
  num('MTTR, h 平均修复(小时)', '', report.times.mttrHours);
  pct('PM compliance 维保完成率', '', rateOf(report.pmCompliance));
  num('PM due 应完成维保', '', report.pmCompliance.due);
  num('closed orders 已关闭工单', '', report.satisfaction.closed);
  num('rated 已评价', '', report.satisfaction.rated);
  pct('share rated 评价率', '', report.satisfaction.shareRated);
  num('mean rating 平均满意度', '', report.satisfaction.meanRating);
  num('missed deadlines 超时', '', report.missed.length);
  sheet(wb, 'Summary', [
    { header: 'Metric 指标', width: 34, kind: 'text' }, { header: 'Scope 范围', width: 14, kind: 'text' },
    { header: 'Text 文本', width: 32, kind: 'text' }, { header: 'Value 数值', width: 12, kind: 'number' },
    { header: 'Rate 比率', width: 10, kind: 'percent' }, { header: 'Time 时间', width: 18, kind: 'date' },
  ], s, zone);

  const asOf = report.asOf;
  const outcome = (o: WorkOrder): string => {
    const d = deadlineOutcomes(o, asOf).map((x) => x.outcome);
    return d.includes('missed') ? 'missed' : d.includes('pending') ? 'pending' : d.includes('met') ? 'met' : '';
  };
  sheet(wb, 'Orders', [
    { header: 'Number 工单号', width: 26, kind: 'text' }, { header: 'Estate 小区', width: 10, kind: 'text' },
    { header: 'Device 设备', width: 12, kind: 'text' }, { header: 'Category 类别', width: 11, kind: 'text' },
    { header: 'Priority 优先级', width: 11, kind: 'text' }, { header: 'Source 来源', width: 11, kind: 'text' },
    { header: 'Title 标题', width: 36, kind: 'text' }, { header: 'Status 状态', width: 11, kind: 'text' },
    { header: 'Fault time 故障时间', width: 17, kind: 'date' }, { header: 'Respond by 应响应', width: 17, kind: 'date' },
    { header: 'Responded 响应', width: 17, kind: 'date' }, { header: 'On site by 应到场', width: 17, kind: 'date' },
    { header: 'On site 到场', width: 17, kind: 'date' }, { header: 'Resolved 解决', width: 17, kind: 'date' },
    { header: 'Closed 关闭', width: 17, kind: 'date' }, { header: 'Met/missed 达标', width: 11, kind: 'text' },
    { header: 'Assignee 负责人', width: 12, kind: 'text' }, { header: 'Rating 满意度', width: 9, kind: 'number' },
  ], orders.map((o) => [
    o.number, report.estate.code, o.device, o.category, o.priority, o.source, o.title, o.status,
    o.faultAt, o.respondBy, o.respondedAt, o.onSiteBy, o.onSiteAt, o.resolvedAt ?? null, o.closedAt ?? null,
    outcome(o), o.assignee, o.feedback?.rating ?? null,
  ]), zone);

  const numberOf = new Map(orders.map((o) => [o.id, o.number]));
  sheet(wb, 'Ledger', [
    { header: 'Order 工单号', width: 26, kind: 'text' }, { header: 'Time 时间', width: 17, kind: 'date' },
    { header: 'Personnel 人员', width: 20, kind: 'text' }, { header: 'Tools 工具', width: 24, kind: 'text' },
    { header: 'Result 结果', width: 36, kind: 'text' }, { header: 'Safety measures 安全措施', width: 30, kind: 'text' },
    { header: 'Recorded by 记录人', width: 12, kind: 'text' },
  ], ledger.map((e) => [numberOf.get(e.orderId) ?? e.orderId, e.time, e.personnel.join(', '), e.tools.join(', '), e.result, e.safetyMeasures, e.recordedBy]), zone);

  sheet(wb, 'Missed deadlines', [
    { header: 'Order 工单号', width: 26, kind: 'text' }, { header: 'Category 类别', width: 11, kind: 'text' },
    { header: 'Priority 优先级', width: 11, kind: 'text' }, { header: 'Deadline 时限', width: 10, kind: 'text' },
    { header: 'Due 应完成', width: 17, kind: 'date' }, { header: 'Met at 实际', width: 17, kind: 'date' },
    { header: 'Late, min 超时(分钟)', width: 12, kind: 'number' }, { header: 'Escalated 升级时间', width: 17, kind: 'date' },
    { header: 'Status 状态', width: 11, kind: 'text' }, { header: 'Note 备注', width: 30, kind: 'text' },
    { header: 'Cancellation 取消原因', width: 30, kind: 'text' }, { header: 'Title 标题', width: 36, kind: 'text' },
  ], report.missed.map((m) => [m.number, m.category, m.priority, m.deadline, m.dueAt, m.metAt, m.lateMinutes, m.escalatedAt, m.status, m.note, m.cancellation, m.title]), zone);

  return Buffer.from(await wb.xlsx.writeBuffer());
}
