// The logistic-regression choices of the annotation drawer: softmax or CellTypist's one-vs-rest,
// the L2 strength (sklearn's C), CellTypist's feature selection and where the training's gradient
// runs ('auto': the GPU for references above the threshold of analysis/logreg-engine.ts).
import type { MapParams } from '../../workers/protocol.ts';

export function LogRegOptions({ p, set }: { p: MapParams; set: (p: MapParams) => void }) {
  const l = p.logreg;
  const setL = (o: Partial<MapParams['logreg']>) => set({ ...p, logreg: { ...l, ...o } });
  return (
    <>
      <label title="multinomial: one softmax over the labels; one-vs-rest: a sigmoid per label, as CellTypist">
        classes
        <select value={l.multiClass} onChange={(e) => setL({ multiClass: e.target.value as typeof l.multiClass })} data-testid="map-multiclass">
          <option value="multinomial">multinomial (softmax)</option>
          <option value="ovr">one-vs-rest (CellTypist)</option>
        </select>
      </label>
      <label title="inverse of the L2 penalty, as scikit-learn's C: smaller is smoother">
        C
        <input type="number" value={l.C} min={0.0001} step={0.1} onChange={(e) => setL({ C: Number(e.target.value) })} data-testid="map-c" />
      </label>
      <label title="CellTypist's feature selection: a first fit, then the genes of largest |coefficient| per label, united, and a second fit on them">
        <span>
          <input type="checkbox" checked={l.featureSelection} onChange={(e) => setL({ featureSelection: e.target.checked })} data-testid="map-feature-selection" /> feature selection
        </span>
      </label>
      <label title="where the training's gradient runs. auto: a hardware GPU for large references (float32 there, finished in float64 on the CPU), else the CPU; WebGPU: the GPU at any size (a software one too)">
        device
        <select value={l.device ?? 'auto'} onChange={(e) => setL({ device: e.target.value as NonNullable<typeof l.device> })} data-testid="map-logreg-device">
          <option value="auto">auto</option>
          <option value="webgpu">WebGPU</option>
          <option value="cpu">CPU</option>
        </select>
      </label>
      {l.featureSelection && (
        <label>
          top genes per label
          <input type="number" value={l.topGenes} min={1} step={50} onChange={(e) => setL({ topGenes: Math.max(1, Math.round(Number(e.target.value))) })} />
        </label>
      )}
    </>
  );
}
