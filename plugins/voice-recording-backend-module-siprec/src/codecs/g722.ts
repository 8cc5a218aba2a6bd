/**
 * ITU-T G.722 sub-band ADPCM, 64 kbit/s mode (6 bits low band + 2 bits high
 * band per byte), 16 kHz 16-bit PCM. Fixed-point arithmetic follows the
 * block structure of the Recommendation (QUANTL/INVQAL/LOGSCL/SCALEL,
 * QUANTH/INVQAH/LOGSCH/SCALEH, and the shared predictor update "block 4").
 * The encoder exists to test the decoder (and for tools).
 */

const QMF_COEFFS = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];

const Q6 = [0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0];
const ILN = [0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0];
const ILP = [0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0];
const WL = [-60, -30, 58, 172, 334, 538, 1198, 3042];
const RL42 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const ILB = [2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008];
const QM4 = [0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0];
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
  -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
  24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
  4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];
const IHN = [0, 1, 0];
const IHP = [0, 3, 2];
const WH = [0, -214, 798];
const RH2 = [2, 1, 2, 1];
const QM2 = [-7408, -1616, 7408, 1616];

function sat16(v: number): number {
  if (v > 32767) return 32767;
  if (v < -32768) return -32768;
  return v;
}

/** State of one sub-band's adaptive predictor and quantiser scale. */
class Band {
  s = 0;
  sp = 0;
  sz = 0;
  r = [0, 0, 0];
  a = [0, 0, 0];
  ap = [0, 0, 0];
  p = [0, 0, 0];
  d = [0, 0, 0, 0, 0, 0, 0];
  b = [0, 0, 0, 0, 0, 0, 0];
  bp = [0, 0, 0, 0, 0, 0, 0];
  nb = 0;
  det: number;

  constructor(det: number) {
    this.det = det;
  }

  /** Block 4: reconstruction, pole/zero predictor adaptation and prediction. */
  update(dx: number): void {
    // RECONS, PARREC
    this.d[0] = dx;
    this.r[0] = sat16(this.s + dx);
    this.p[0] = sat16(this.sz + dx);
    // UPPOL2
    const sg0 = this.p[0] >> 15;
    const sg1 = this.p[1] >> 15;
    const sg2 = this.p[2] >> 15;
    let wd1 = sat16(this.a[1] << 2);
    let wd2 = sg0 === sg1 ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (sg0 === sg2 ? 128 : -128) + (wd2 >> 7) + ((this.a[2] * 32512) >> 15);
    if (wd3 > 12288) wd3 = 12288;
    else if (wd3 < -12288) wd3 = -12288;
    this.ap[2] = wd3;
    // UPPOL1
    wd1 = sg0 === sg1 ? 192 : -192;
    wd2 = (this.a[1] * 32640) >> 15;
    this.ap[1] = sat16(wd1 + wd2);
    wd3 = sat16(15360 - this.ap[2]);
    if (this.ap[1] > wd3) this.ap[1] = wd3;
    else if (this.ap[1] < -wd3) this.ap[1] = -wd3;
    // UPZERO
    wd1 = dx === 0 ? 0 : 128;
    const sgd = dx >> 15;
    for (let i = 1; i < 7; i++) {
      const sgi = this.d[i] >> 15;
      wd2 = sgi === sgd ? wd1 : -wd1;
      wd3 = (this.b[i] * 32640) >> 15;
      this.bp[i] = sat16(wd2 + wd3);
    }
    // DELAYA
    for (let i = 6; i > 0; i--) {
      this.d[i] = this.d[i - 1];
      this.b[i] = this.bp[i];
    }
    for (let i = 2; i > 0; i--) {
      this.r[i] = this.r[i - 1];
      this.p[i] = this.p[i - 1];
      this.a[i] = this.ap[i];
    }
    // FILTEP
    wd1 = sat16(this.r[1] + this.r[1]);
    wd1 = (this.a[1] * wd1) >> 15;
    wd2 = sat16(this.r[2] + this.r[2]);
    wd2 = (this.a[2] * wd2) >> 15;
    this.sp = sat16(wd1 + wd2);
    // FILTEZ
    let sz = 0;
    for (let i = 6; i > 0; i--) {
      const w = sat16(this.d[i] + this.d[i]);
      sz += (this.b[i] * w) >> 15;
    }
    this.sz = sat16(sz);
    // PREDIC
    this.s = sat16(this.sp + this.sz);
  }
}

/** LOGSCL + SCALEL (low band). */
function adaptLow(band: Band, il4: number): void {
  let nb = ((band.nb * 127) >> 7) + WL[RL42[il4]];
  if (nb < 0) nb = 0;
  else if (nb > 18432) nb = 18432;
  band.nb = nb;
  const wd1 = (nb >> 6) & 31;
  const wd2 = 8 - (nb >> 11);
  const wd3 = wd2 < 0 ? ILB[wd1] << -wd2 : ILB[wd1] >> wd2;
  band.det = wd3 << 2;
}

/** LOGSCH + SCALEH (high band). */
function adaptHigh(band: Band, ih: number): void {
  let nb = ((band.nb * 127) >> 7) + WH[RH2[ih]];
  if (nb < 0) nb = 0;
  else if (nb > 22528) nb = 22528;
  band.nb = nb;
  const wd1 = (nb >> 6) & 31;
  const wd2 = 10 - (nb >> 11);
  const wd3 = wd2 < 0 ? ILB[wd1] << -wd2 : ILB[wd1] >> wd2;
  band.det = wd3 << 2;
}

/** Stateful G.722 decoder: keep one per RTP stream. */
export class G722Decoder {
  private readonly low = new Band(32);
  private readonly high = new Band(8);
  private readonly x = new Int32Array(24);

  /** Decodes 64 kbit/s G.722 bytes into 16 kHz PCM (2 samples per byte). */
  decode(payload: Uint8Array): Int16Array {
    const out = new Int16Array(payload.length * 2);
    const { low, high, x } = this;
    let o = 0;
    for (let n = 0; n < payload.length; n++) {
      const code = payload[n];
      const ilow = code & 0x3f;
      const ihigh = (code >> 6) & 0x03;

      // Low band: INVQBL and RECONS
      let rlow = low.s + ((low.det * QM6[ilow]) >> 15);
      if (rlow > 16383) rlow = 16383;
      else if (rlow < -16384) rlow = -16384;
      // INVQAL (4-bit) for the predictor
      const il4 = ilow >> 2;
      const dlowt = (low.det * QM4[il4]) >> 15;
      adaptLow(low, il4);
      low.update(dlowt);

      // High band
      const dhigh = (high.det * QM2[ihigh]) >> 15;
      let rhigh = dhigh + high.s;
      if (rhigh > 16383) rhigh = 16383;
      else if (rhigh < -16384) rhigh = -16384;
      adaptHigh(high, ihigh);
      high.update(dhigh);

      // Receive QMF
      x.copyWithin(0, 2);
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += x[2 * i] * QMF_COEFFS[i];
        xout1 += x[2 * i + 1] * QMF_COEFFS[11 - i];
      }
      out[o++] = sat16(xout1 >> 11);
      out[o++] = sat16(xout2 >> 11);
    }
    return out;
  }
}

/** Stateful G.722 encoder (64 kbit/s): 16 kHz PCM, even number of samples per call. */
export class G722Encoder {
  private readonly low = new Band(32);
  private readonly high = new Band(8);
  private readonly x = new Int32Array(24);

  encode(pcm: Int16Array): Buffer {
    if (pcm.length % 2) throw new Error('G.722 encoder needs an even number of samples');
    const out = Buffer.alloc(pcm.length / 2);
    const { low, high, x } = this;
    for (let j = 0, n = 0; j < pcm.length; n++) {
      // Transmit QMF
      x.copyWithin(0, 2);
      x[22] = pcm[j++];
      x[23] = pcm[j++];
      let sumodd = 0;
      let sumeven = 0;
      for (let i = 0; i < 12; i++) {
        sumodd += x[2 * i] * QMF_COEFFS[i];
        sumeven += x[2 * i + 1] * QMF_COEFFS[11 - i];
      }
      const xlow = (sumeven + sumodd) >> 14;
      const xhigh = (sumeven - sumodd) >> 14;

      // Low band: SUBTRA, QUANTL
      const el = sat16(xlow - low.s);
      const wd = el >= 0 ? el : -(el + 1);
      let i = 1;
      for (; i < 30; i++) {
        if (wd < (Q6[i] * low.det) >> 12) break;
      }
      const ilow = el < 0 ? ILN[i] : ILP[i];
      const il4 = ilow >> 2;
      const dlow = (low.det * QM4[il4]) >> 15;
      adaptLow(low, il4);
      low.update(dlow);

      // High band: SUBTRA, QUANTH
      const eh = sat16(xhigh - high.s);
      const wdh = eh >= 0 ? eh : -(eh + 1);
      const mih = wdh >= (564 * high.det) >> 12 ? 2 : 1;
      const ihigh = eh < 0 ? IHN[mih] : IHP[mih];
      const dhigh = (high.det * QM2[ihigh]) >> 15;
      adaptHigh(high, ihigh);
      high.update(dhigh);

      out[n] = ((ihigh << 6) | ilow) & 0xff;
    }
    return out;
  }
}
