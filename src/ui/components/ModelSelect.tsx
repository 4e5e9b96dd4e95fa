// The model a model-derived result uses (embedding, gene networks): the bundled and cached models,
// or checkpoint files the user picked; its note says when it is the random-weight test model.
import { useEffect } from 'react';
import { useApp } from '../store.ts';
import { RealModelFirst } from './ModelHubGet.tsx';

export function ModelSelect({ testId = 'model-select' }: { testId?: string }) {
  const models = useApp((s) => s.models);
  const picked = useApp((s) => s.pickedModel);
  const choice = useApp((s) => s.modelChoice);
  const { loadModels, chooseModel } = useApp.getState();
  useEffect(() => {
    void loadModels();
  }, [loadModels]);
  const note = models.find((m) => m.id === choice)?.note;
  return (
    <>
      <RealModelFirst testIdPrefix={testId === 'model-select' ? '' : `${testId}-`.replace('-model-', '-')} />
      <label>
        Model{' '}
        <select data-testid={testId} value={choice} onChange={(e) => chooseModel(e.target.value)}>
          {models.length === 0 && !picked && <option value="">none: pick a checkpoint</option>}
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
          {picked && <option value="__picked__">picked: {picked.map((f) => f.name).join(', ')}</option>}
        </select>
      </label>
      {note && (
        <p className="muted small" data-testid="model-note">
          {note}
        </p>
      )}
    </>
  );
}
