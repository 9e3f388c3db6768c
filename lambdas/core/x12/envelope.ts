import { type Segment, type SegmentPosition, segmentPath, X12Error } from './tokenizer.js';

/**
 * The X12 envelope: ISA/IEA (interchange), GS/GE (functional group), ST/SE (transaction set). Checked as the
 * segments stream by: matching control numbers (ISA13 = IEA02, GS06 = GE02, ST02 = SE02), the counts
 * (IEA01 groups, GE01 transactions, SE01 segments from ST to SE inclusive) and nesting. Every issue carries
 * the segment position. The implementation guide in GS08 decides what the hub will read: 005010 only, on
 * purpose — a 4010 file (004010X091A1) is refused with a clear message instead of being half understood.
 */
export interface X12Issue {
  /** `segment:57 CLP` */
  path: string;
  message: string;
  position?: SegmentPosition;
}

export function issueAt(segment: Segment | SegmentPosition, message: string): X12Issue {
  const position =
    'elements' in segment ? { index: segment.index, offset: segment.offset, segmentId: segment.id } : segment;
  return { path: segmentPath(position), message: `${message} (byte ${position.offset})`, position };
}

export function positionOf(segment: Segment): SegmentPosition {
  return { index: segment.index, offset: segment.offset, segmentId: segment.id };
}

export interface TransactionHeader {
  interchangeControlNumber: string;
  /** ISA05:ISA06, the sender's qualifier and id: with ISA13, what names an interchange. */
  interchangeSender?: string;
  /** The interchange's place in the stream (1, 2, …): tells a repeated interchange from its first copy. */
  interchangeIndex?: number;
  /** ISA15: P production, T test. */
  usage: string;
  groupControlNumber: string;
  /** GS01: HP (835), HN (277). */
  functionalId: string;
  /** GS08, e.g. 005010X221A1. */
  implementation: string;
  /** ST01: 835, 277. */
  transactionSet: string;
  controlNumber: string;
  position: SegmentPosition;
}

export type EnvelopeStep =
  | { kind: 'envelope' }
  | { kind: 'open'; header: TransactionHeader }
  | { kind: 'body'; header: TransactionHeader; segment: Segment }
  | { kind: 'close'; header: TransactionHeader };

/** What a reader accepts: the transaction set (ST01) and the implementation guides (GS08) it reads. */
export interface EnvelopeExpectation {
  transactionSet: string;
  implementations: readonly string[];
  description: string;
}

export class EnvelopeReader {
  readonly issues: X12Issue[] = [];
  private isa:
    | { segment: Segment; control: string; sender: string; usage: string; groups: number }
    | undefined;
  private gs:
    | { segment: Segment; control: string; functionalId: string; version: string; sets: number }
    | undefined;
  private st: { header: TransactionHeader; count: number } | undefined;
  private interchanges = 0;
  private last: Segment | undefined;

  constructor(private readonly expectation: EnvelopeExpectation) {}

  step(segment: Segment): EnvelopeStep {
    this.last = segment;
    const e = segment.elements;
    if (this.st && segment.id !== 'SE') {
      this.st.count += 1;
      if (['ISA', 'GS', 'ST', 'GE', 'IEA'].includes(segment.id)) {
        this.issues.push(
          issueAt(
            segment,
            `${segment.id} inside transaction ${this.st.header.controlNumber}: its SE is missing`,
          ),
        );
      }
      return { kind: 'body', header: this.st.header, segment };
    }
    switch (segment.id) {
      case 'ISA': {
        if (this.isa) this.issues.push(issueAt(segment, 'ISA before the IEA of the previous interchange'));
        const control = (e[12] ?? '').trim();
        if (!/^\d{9}$/.test(control))
          this.issues.push(issueAt(segment, `ISA13 must be a 9-digit control number, not "${control}"`));
        this.isa = {
          segment,
          control,
          sender: `${(e[4] ?? '').trim()}:${(e[5] ?? '').trim()}`,
          usage: (e[14] ?? '').trim(),
          groups: 0,
        };
        this.interchanges += 1;
        return { kind: 'envelope' };
      }
      case 'GS': {
        if (!this.isa) this.issues.push(issueAt(segment, 'GS outside an interchange (no ISA before it)'));
        if (this.gs) this.issues.push(issueAt(segment, 'GS before the GE of the previous functional group'));
        const version = e[7] ?? '';
        this.refuseVersion(segment, version);
        this.gs = { segment, control: e[5] ?? '', functionalId: e[0] ?? '', version, sets: 0 };
        if (this.isa) this.isa.groups += 1;
        return { kind: 'envelope' };
      }
      case 'ST': {
        if (!this.gs) this.issues.push(issueAt(segment, 'ST outside a functional group (no GS before it)'));
        const transactionSet = e[0] ?? '';
        if (transactionSet !== this.expectation.transactionSet) {
          throw new X12Error(
            `this route reads ${this.expectation.description}; transaction set ${transactionSet} is not one`,
            positionOf(segment),
            'x12.unsupported-transaction',
          );
        }
        if (e[2] !== undefined && e[2] !== '' && this.gs && e[2] !== this.gs.version) {
          this.issues.push(issueAt(segment, `ST03 ${e[2]} differs from GS08 ${this.gs.version}`));
        }
        if (this.gs) this.gs.sets += 1;
        const header: TransactionHeader = {
          interchangeControlNumber: this.isa?.control ?? '',
          ...(this.isa ? { interchangeSender: this.isa.sender, interchangeIndex: this.interchanges } : {}),
          usage: this.isa?.usage ?? '',
          groupControlNumber: this.gs?.control ?? '',
          functionalId: this.gs?.functionalId ?? '',
          implementation: this.gs?.version ?? '',
          transactionSet,
          controlNumber: e[1] ?? '',
          position: positionOf(segment),
        };
        this.st = { header, count: 1 };
        return { kind: 'open', header };
      }
      case 'SE': {
        if (!this.st) {
          this.issues.push(issueAt(segment, 'SE without an ST'));
          return { kind: 'envelope' };
        }
        const header = this.st.header;
        const count = this.st.count + 1;
        if (e[0] !== String(count)) {
          this.issues.push(
            issueAt(
              segment,
              `SE01 says ${e[0] ?? '(empty)'} segments but transaction ${header.controlNumber} has ${count} (ST to SE inclusive)`,
            ),
          );
        }
        if (e[1] !== header.controlNumber) {
          this.issues.push(
            issueAt(segment, `SE02 ${e[1] ?? '(empty)'} does not match ST02 ${header.controlNumber}`),
          );
        }
        this.st = undefined;
        return { kind: 'close', header };
      }
      case 'GE': {
        if (!this.gs) {
          this.issues.push(issueAt(segment, 'GE without a GS'));
          return { kind: 'envelope' };
        }
        if (e[0] !== String(this.gs.sets))
          this.issues.push(
            issueAt(segment, `GE01 says ${e[0] ?? '(empty)'} transactions but the group has ${this.gs.sets}`),
          );
        if (e[1] !== this.gs.control)
          this.issues.push(
            issueAt(segment, `GE02 ${e[1] ?? '(empty)'} does not match GS06 ${this.gs.control}`),
          );
        this.gs = undefined;
        return { kind: 'envelope' };
      }
      case 'IEA': {
        if (!this.isa) {
          this.issues.push(issueAt(segment, 'IEA without an ISA'));
          return { kind: 'envelope' };
        }
        if (this.gs) this.issues.push(issueAt(segment, `IEA before the GE of group ${this.gs.control}`));
        if (e[0] !== String(this.isa.groups))
          this.issues.push(
            issueAt(
              segment,
              `IEA01 says ${e[0] ?? '(empty)'} groups but the interchange has ${this.isa.groups}`,
            ),
          );
        if ((e[1] ?? '').trim() !== this.isa.control)
          this.issues.push(
            issueAt(segment, `IEA02 ${e[1] ?? '(empty)'} does not match ISA13 ${this.isa.control}`),
          );
        this.isa = undefined;
        return { kind: 'envelope' };
      }
      case 'TA1':
        return { kind: 'envelope' };
      default:
        this.issues.push(issueAt(segment, `${segment.id} outside a transaction set (ST … SE)`));
        return { kind: 'envelope' };
    }
  }

  /** Checks that every envelope opened was closed; call after the last segment. */
  finish(): void {
    const at = this.last ? positionOf(this.last) : undefined;
    if (this.interchanges === 0) {
      this.issues.push({ path: 'segment:1 ISA', message: 'the document holds no interchange (no ISA)' });
      return;
    }
    const missing = this.st ? 'SE, GE and IEA' : this.gs ? 'GE and IEA' : this.isa ? 'IEA' : undefined;
    if (missing && at) {
      this.issues.push(issueAt(at, `the file ends without its closing ${missing} (truncated?)`));
    }
  }

  private refuseVersion(segment: Segment, version: string): void {
    if (version.startsWith('004010')) {
      throw new X12Error(
        `GS08 ${version} is a 4010 implementation guide; the hub reads ${this.expectation.description} (${this.expectation.implementations.join(' or ')}) only — 4010 was retired by HIPAA in 2012. Ask the sender for a 5010 file`,
        positionOf(segment),
        'x12.unsupported-version',
      );
    }
    if (!this.expectation.implementations.includes(version)) {
      throw new X12Error(
        `GS08 ${version || '(empty)'} is not an implementation guide this route reads; expected ${this.expectation.implementations.join(' or ')}`,
        positionOf(segment),
        'x12.unsupported-version',
      );
    }
  }
}
