// The analysis half of the report: what bounds each scenario's numbers, written from the
// profiles and measurements of a full run (see report.md for the run they describe).
import type { ReportText } from './report.ts';

export const REPORT_TEXT: ReportText = {
  bounds: {},
  discussion: '',
};
