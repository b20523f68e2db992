/** Pure type shared with the chart component. */
export interface DailyActivity {
  /** UTC day, YYYY-MM-DD */
  day: string;
  signIns: number;
  changes: number;
}
