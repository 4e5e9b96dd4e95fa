// tfjs-core computes gradients only for kernels whose gradient is registered, and registers none
// itself (the @tensorflow/tfjs union package does, which we do not ship). These are tfjs's own
// gradient definitions for the kernels the classifier head and the fine-tuned last layer use.
// Each file is imported on its own: the set-of-all module reaches files Node cannot resolve. In
// Node they load beside tfjs-core's bundle and register into the same global registry and engine.
import * as tf from '@tensorflow/tfjs-core';
import { addGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Add_grad';
import { batchMatMulGradConfig } from '@tensorflow/tfjs-core/dist/gradients/BatchMatMul_grad';
import { castGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Cast_grad';
import { expGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Exp_grad';
import { identityGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Identity_grad';
import { logGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Log_grad';
import { maxGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Max_grad';
import { meanGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Mean_grad';
import { multiplyGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Multiply_grad';
import { divGradConfig } from '@tensorflow/tfjs-core/dist/gradients/RealDiv_grad';
import { reluGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Relu_grad';
import { reshapeGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Reshape_grad';
import { selectGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Select_grad';
import { sliceGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Slice_grad';
import { softmaxGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Softmax_grad';
import { sqrtGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sqrt_grad';
import { squareGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Square_grad';
import { squaredDifferenceGradConfig } from '@tensorflow/tfjs-core/dist/gradients/SquaredDifference_grad';
import { subGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sub_grad';
import { sumGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Sum_grad';
import { transposeGradConfig } from '@tensorflow/tfjs-core/dist/gradients/Transpose_grad';

let registered = false;

export function registerTrainingGradients(): void {
  if (registered) return;
  registered = true;
  for (const config of [
    addGradConfig,
    batchMatMulGradConfig,
    castGradConfig,
    divGradConfig,
    expGradConfig,
    identityGradConfig,
    logGradConfig,
    maxGradConfig,
    meanGradConfig,
    multiplyGradConfig,
    reluGradConfig,
    reshapeGradConfig,
    selectGradConfig,
    sliceGradConfig,
    softmaxGradConfig,
    sqrtGradConfig,
    squareGradConfig,
    squaredDifferenceGradConfig,
    subGradConfig,
    sumGradConfig,
    transposeGradConfig,
  ]) {
    tf.registerGradient(config as unknown as tf.GradConfig);
  }
}

// tfjs's own BatchMatMul gradient multiplies with transposeA / transposeB, which tfjs-wasm runs on
// a scalar path (0.5-1 GFLOP/s against ~18 on XNNPACK for a plain [M, K] x [K, N]): these
// matMuls take their gradients with the operand transposed first, a copy, then a plain matMul.

/** a [M, K] x w [K, N], differentiable in both. */
export function matMulTrained(a: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((aIn, wIn, save) => {
    (save as tf.GradSaveFunc)([aIn as tf.Tensor, wIn as tf.Tensor]);
    return {
      value: tf.matMul(aIn as tf.Tensor2D, wIn as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, [sa, sw]: tf.Tensor[]) => [tf.matMul(dy as tf.Tensor2D, tf.transpose(sw as tf.Tensor2D)), tf.matMul(tf.transpose(sa as tf.Tensor2D), dy as tf.Tensor2D)],
    };
  });
  return f(a, w) as tf.Tensor2D;
}

/**
 * x [M, K] x w [K, N] for an x that is no function of what is trained (the frozen layers' output):
 * only w's gradient is computed. x is an input all the same (a closure's tensor made inside the
 * differentiated function is freed before the backward pass on tfjs-wasm); its placeholder
 * gradient is never read, as x lies on no path from the parameters.
 */
export function matMulConstant(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((xIn, wIn, save) => {
    (save as tf.GradSaveFunc)([xIn as tf.Tensor]);
    return {
      value: tf.matMul(xIn as tf.Tensor2D, wIn as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => [tf.scalar(0), tf.matMul(tf.transpose(sx as tf.Tensor2D), dy as tf.Tensor2D)],
    };
  });
  return f(x, w) as tf.Tensor2D;
}
