/** Rewriting a marked section of a Markdown file with fresh results: pure. */

export interface SectionMarkers {
  start: string;
  end: string;
}

export const RESULTS_MARKERS: SectionMarkers = { start: "<!-- bench:results:start -->", end: "<!-- bench:results:end -->" };
export const SCALE_OUT_MARKERS: SectionMarkers = { start: "<!-- bench:scale-out:start -->", end: "<!-- bench:scale-out:end -->" };

/** `md` with the text between the markers (markers included) replaced by `body` between them; appended when the markers are missing. */
export function replaceSection(md: string, markers: SectionMarkers, body: string): string {
  const block = `${markers.start}\n${body}\n${markers.end}`;
  const i = md.indexOf(markers.start);
  const j = md.indexOf(markers.end, i + markers.start.length);
  return i >= 0 && j > i ? md.slice(0, i) + block + md.slice(j + markers.end.length) : `${md}\n${block}\n`;
}
