/**
 * A streaming X12 tokenizer: chunks in (Buffers or strings, any split), segments out, each with its 1-based
 * index in the file and its byte offset. The file is never held whole — only the unfinished tail of the last
 * chunk is kept — so a 15 MB 835 costs the memory of one segment plus what the caller keeps.
 *
 * Delimiters are declared by each interchange's ISA, which is fixed-width (106 characters): the element
 * separator is its 4th character, the repetition separator ISA11, the component separator ISA16 and the
 * segment terminator the character right after ISA16 (X12.5 / 005010 TR3 appendix B). Line breaks after a
 * terminator (CRLF or LF files) are skipped. A new ISA after IEA re-reads the delimiters, so files that
 * concatenate interchanges from different senders parse too.
 *
 * Work happens on bytes; each segment becomes its own latin1 string (so a character offset is a byte offset,
 * and nothing kept pins a chunk); element values are re-decoded as UTF-8 only when they carry non-ASCII bytes
 * (X12's extended character set).
 */

export interface Delimiters {
  element: string;
  repetition: string;
  component: string;
  segment: string;
}

export interface Segment {
  /** Segment id, e.g. `CLP`. */
  id: string;
  /** Elements after the id: `elements[0]` is CLP01. */
  elements: string[];
  /** 1-based position of the segment in the file (ISA is 1). */
  index: number;
  /** Byte offset of the segment's first character in the file. */
  offset: number;
  delimiters: Delimiters;
}

/** Where in the file something went wrong. */
export interface SegmentPosition {
  index: number;
  offset: number;
  segmentId: string;
}

/** A document the hub cannot read or accept; `position` points at the segment at fault. */
export class X12Error extends Error {
  constructor(
    message: string,
    readonly position: SegmentPosition | undefined,
    readonly code: string = 'x12.syntax',
  ) {
    super(message);
    this.name = 'X12Error';
  }
}

/** `segment:57 CLP` — the path the API answers with. */
export function segmentPath(position: SegmentPosition | undefined): string {
  return position ? `segment:${position.index} ${position.segmentId}` : 'segment:?';
}

export const ISA_LENGTH = 106;
const SEGMENT_ID = /^[A-Z][A-Z0-9]{1,2}$/;
const NON_ASCII = /[\x80-\xff]/;

/** Reads the delimiters from the first 106 characters of an ISA; `offset` is where the ISA starts. */
export function delimitersOf(isa: string, index: number, offset: number): Delimiters {
  const position = { index, offset, segmentId: 'ISA' };
  if (!isa.startsWith('ISA')) throw new X12Error('the interchange must start with an ISA segment', position);
  if (isa.length < ISA_LENGTH) {
    throw new X12Error(
      `the ISA segment is truncated: ${isa.length} of ${ISA_LENGTH} characters before the end of the file`,
      position,
    );
  }
  const element = isa.charAt(3);
  const fields = isa.slice(0, ISA_LENGTH - 1).split(element);
  if (fields.length !== 17) {
    throw new X12Error(
      `the ISA segment must have 16 elements separated by "${element}" within ${ISA_LENGTH} fixed-width characters; found ${fields.length - 1}`,
      position,
    );
  }
  const component = isa.charAt(104);
  const segment = isa.charAt(105);
  const repetition = (fields[11] ?? '').length === 1 ? (fields[11] as string) : '';
  const delimiters = { element, repetition, component, segment };
  const used = [element, component, segment, ...(repetition && repetition !== 'U' ? [repetition] : [])];
  if (new Set(used).size !== used.length || /[A-Za-z0-9]/.test(element + component + segment)) {
    throw new X12Error(
      `the ISA declares unusable delimiters (element "${element}", component "${component}", segment "${segment}")`,
      position,
    );
  }
  return delimiters;
}

/**
 * Push-style tokenizer: `push` a chunk, get the segments it completed; `end` checks nothing is left over.
 * Syntax it cannot get past (a truncated ISA, a segment id that is not one — typically a wrong delimiter —,
 * a file ending in the middle of a segment) is thrown as an X12Error with the position.
 */
export class X12Tokenizer {
  /** The unfinished tail of the previous chunk. */
  private pending: Buffer = Buffer.alloc(0);
  /** File offset of pending[0]. */
  private base = 0;
  private index = 0;
  private delimiters: Delimiters | undefined;
  private terminator = -1;

  push(chunk: Buffer | string): Segment[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const buffer = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const out: Segment[] = [];
    let position = 0;
    for (;;) {
      // Skip line breaks and blanks between segments.
      while (position < buffer.length && isBlank(buffer[position] as number)) position++;
      if (position >= buffer.length) break;
      if (!this.delimiters) {
        if (buffer.length - position < ISA_LENGTH) break; // wait for the whole ISA
        this.delimiters = delimitersOf(
          buffer.toString('latin1', position, position + ISA_LENGTH),
          this.index + 1,
          this.base + position,
        );
        this.terminator = this.delimiters.segment.charCodeAt(0);
      }
      const end = buffer.indexOf(this.terminator, position);
      if (end < 0) break; // the segment continues in the next chunk
      // A fresh string per segment (not a slice of the chunk): what a caller keeps does not pin the file.
      const segment = this.segment(buffer.toString('latin1', position, end), this.base + position);
      position = end + 1;
      if (segment.id === 'IEA') this.delimiters = undefined; // the next interchange declares its own
      out.push(segment);
    }
    this.base += position;
    this.pending = Buffer.from(buffer.subarray(position));
    return out;
  }

  end(): void {
    const rest = this.pending.toString('latin1');
    const trimmed = rest.trim();
    if (trimmed.length === 0) return;
    const offset = this.base + rest.indexOf(trimmed.charAt(0));
    if (!this.delimiters) delimitersOf(trimmed, this.index + 1, offset); // throws: a truncated ISA
    const d = this.delimiters as Delimiters;
    throw new X12Error(
      `the file ends inside a segment: "${trimmed.slice(0, 20)}${trimmed.length > 20 ? '…' : ''}" has no segment terminator "${d.segment}"`,
      { index: this.index + 1, offset, segmentId: idPrefix(trimmed.split(d.element)[0] ?? '') },
      'x12.truncated',
    );
  }

  private segment(raw: string, offset: number): Segment {
    this.index += 1;
    const d = this.delimiters as Delimiters;
    const elements = raw.split(d.element);
    const id = elements.shift() as string;
    if (!SEGMENT_ID.test(id)) {
      const shown = raw.length > 20 ? `${raw.slice(0, 20)}…` : raw;
      throw new X12Error(
        `"${shown}" does not start with a segment id followed by the element separator "${d.element}" (a wrong delimiter or a broken segment)`,
        { index: this.index, offset, segmentId: idPrefix(id) },
      );
    }
    if (NON_ASCII.test(raw)) {
      for (let i = 0; i < elements.length; i++)
        elements[i] = Buffer.from(elements[i] as string, 'latin1').toString('utf8');
    }
    return { id, elements, index: this.index, offset, delimiters: d };
  }
}

/** What of a broken segment can name it: its leading letters and digits, at most three. */
function idPrefix(text: string): string {
  return /^[A-Z0-9]{1,3}/.exec(text)?.[0] ?? '?';
}

/** CR, LF, tab, space: what may sit between segments. */
function isBlank(byte: number): boolean {
  return byte === 0x0a || byte === 0x0d || byte === 0x20 || byte === 0x09;
}

/** The segments of a stream of chunks, one batch per chunk (cheaper than one await per segment). */
export async function* segmentBatches(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): AsyncGenerator<Segment[]> {
  const tokenizer = new X12Tokenizer();
  for await (const chunk of chunks) {
    const batch = tokenizer.push(chunk);
    if (batch.length > 0) yield batch;
  }
  tokenizer.end();
}

/** Splits a composite element (SVC01 `HC:99213:25`, STC01 `A7:562:85`) on the component separator. */
export function components(value: string, delimiters: Delimiters): string[] {
  return value.split(delimiters.component);
}
