/**
 * The generator's working view of the world: what it keeps about the current grid's entities
 * while their rows and department records are written, the bounded pools that reach back to
 * earlier grids, and the numbering helpers both the layout and the department emitters use.
 * Nothing here is written out as it stands.
 */
import type { Site } from './address.js';
import type { Sex } from './names.js';
import { type Rng, hash32, scrambleSmall } from './rng.js';
import type { BuildingKind, BuildingUse, EnterpriseStatus, PersonTag, Relation, Residence } from './types.js';

export const pad = (n: number, width: number): string => String(n).padStart(width, '0');

const PHONE_PREFIXES = ['133', '135', '136', '137', '138', '139', '150', '151', '152', '157', '158', '159', '177', '180', '181', '186', '187', '188', '189', '199'];
export const PERSON_PHONE_SPACE = 50_000_000; // people's current phones use scrambled indices below this; stale ones above
export const MEMBER_PHONE_BASE = 40_000_000;

/** A mobile number unique to `slot`: the 8-digit tail is a bijection of the slot. */
export function mobile(slot: number): string {
  const tail = scrambleSmall(slot, 100_000_000, 43_112_609, 12_345_678);
  return `${PHONE_PREFIXES[hash32(slot, 77) % PHONE_PREFIXES.length] as string}${pad(tail, 8)}`;
}

/** Characters of company brand names: the layout's enterprises and the court's outside suppliers. */
export const BRAND_CHARS = [...'金鼎华信恒达博远新宇瑞丰盛宏图启明云帆乐学知行德润嘉禾创美正阳聚源优品星辰安泰锦程百川汇通睿智卓越领航天成合众凯旋东方西子钱塘良渚之江运河'];

export class Pool<T> {
  private readonly items: T[] = [];
  private next = 0;
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.next] = item;
      this.next = (this.next + 1) % this.capacity;
    }
  }
  get size(): number {
    return this.items.length;
  }
  pick(rng: Rng): T | undefined {
    return this.items.length === 0 ? undefined : this.items[Math.floor(rng.next() * this.items.length)];
  }
}

/** Read-only use of a pool: emitters pick from what the layout keeps. */
export type PoolPick<T> = Pick<Pool<T>, 'pick' | 'size'>;

// Working context (only for the current grid, plus the bounded pools)

export interface DwellingCtx {
  index: number;
  buildingIndex: number;
  site: Site;
  unit: string | null;
  room: string | null;
}

export interface PersonCtx {
  index: number;
  idNumber: string;
  name: string;
  sex: Sex;
  birthDay: number;
  age: number;
  phone: string | null;
  residence: Residence;
  relation: Relation;
  householdNumber: string;
  dwelling: DwellingCtx;
  gridIndex: number;
  communityName: string;
  origin: { code: string; name: string };
  movedFrom: DwellingCtx | null;
  movedOnDay: number | null;
  tags: PersonTag[];
  ethnicity: string;
}

export interface PersonLike { index: number; idNumber: string; name: string; phone: string | null }

export interface BuildingCtx {
  index: number;
  site: Site;
  kind: BuildingKind;
  use: BuildingUse;
  name: string;
  lng: number;
  lat: number;
  floors: number;
  builtYear: number;
  dwellings: number;
  firstDwelling: number;
  /** Free premises rooms for enterprises. */
  freeRooms: string[];
}

export interface Slot { unit: string | null; floor: number; room: string | null }

export interface EnterpriseCtx {
  index: number;
  pripid: string;
  name: string;
  creditCode: string;
  industryCode: string;
  status: EnterpriseStatus;
  building: BuildingCtx;
  room: string;
  legalRep: PersonCtx | null;
  legalRepName: string;
  legalRepId: string;
}

/** A fire hazard still open: the grid's cases may come from it. */
export interface HazardCtx { sourceId: string; building: BuildingCtx; enterprise: EnterpriseCtx | null; type: string; foundDay: number }
