/**
 * The gradient-check case: the medium MLP (784→128→10, batch 64, 101,770 parameters) recorded,
 * backpropagated and checked in fast mode — a seeded sample of elements per tensor plus
 * directional checks — as a user's notes would check it. Ours only: tfjs has no gradient check.
 */
import { type GradientCheckReport, gradientCheck } from '../src/engine/gradcheck';
import { MLPS, mlpData } from './cases';
import { recordMlp } from './ours';

/** Elements per tensor the fast check samples. */
export const GRADCHECK_SAMPLE = 16;

export function runGradcheck(): GradientCheckReport {
  const c = MLPS.find((m) => m.name === 'medium')!;
  const { graph, loss, params } = recordMlp(c, mlpData(c));
  graph.backward(loss);
  return gradientCheck(graph, loss, params, { mode: 'fast', sampleSize: GRADCHECK_SAMPLE });
}

/** What was checked, for the report: per tensor the sampled positions and the directions. */
export function describeGradcheck(report: GradientCheckReport) {
  return {
    mode: report.mode ?? 'full',
    grade: report.grade,
    passed: report.passed,
    tensors: report.tensors.map((t) => ({
      name: t.name,
      shape: t.shape.join('×'),
      total: t.total,
      checked_elements: t.elements.length,
      positions: t.elements.map((e) => `(${e.position.join(',')})`).join(' '),
      worst_element_error: t.worst ? +t.worst.relativeError.toPrecision(2) : null,
      grade: t.grade,
      kinks: t.kinks,
      directional: t.directional
        ? {
            seed: t.directional.seed,
            elements: t.directional.elements,
            relative_error: +t.directional.relativeError.toPrecision(2),
            grade: t.directional.grade,
          }
        : null,
    })),
    directional_all: report.directional
      ? {
          seed: report.directional.seed,
          elements: report.directional.elements,
          relative_error: +report.directional.relativeError.toPrecision(2),
          grade: report.directional.grade,
        }
      : null,
  };
}
