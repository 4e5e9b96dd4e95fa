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
