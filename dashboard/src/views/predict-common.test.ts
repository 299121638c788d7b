/**
 * The forecast table says why a forecast has no prediction order yet, from the gates the predictor
 * reports (`heldBy`, gateway/predict/README.md), in the planner's words.
 */
import { describe, expect, it } from 'vitest';
import { orderState } from './predict-common.js';

const names = (id: string) => (id === 'brg-3' ? 'Bearing 3' : id);

describe('why a forecast has no order yet', () => {
  it('names every gate that holds it, the source of an echo and the hours a trend has held', () => {
    expect(orderState({ alert: false, heldBy: ['trend', 'horizon', 'shift'], sustainedHours: 0 }, names)).toBe('无显著趋势; 预测期内不会达到预警值; 仍在基线噪声内');
    expect(orderState({ alert: false, heldBy: ['neighbour'], echoOf: 'brg-3', sustainedHours: 0 }, names)).toBe('为 Bearing 3 的传导振动');
    expect(orderState({ alert: false, heldBy: ['sustain'], sustainedHours: 7.4 }, names)).toBe('待确认（已持续 7 小时）');
  });

  it('says the order was raised when nothing holds it, and nothing for a forecast stored before gates were reported', () => {
    expect(orderState({ alert: true, heldBy: [], sustainedHours: 14 }, names)).toBe('已生成工单');
    expect(orderState({ alert: false, heldBy: undefined as unknown as [], sustainedHours: 0 }, names)).toBe('');
  });
});
