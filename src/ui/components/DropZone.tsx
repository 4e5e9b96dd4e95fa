import { useRef, useState } from 'react';
import { useApp } from '../store.ts';

/** The empty page: drop files (or a 10x folder's three files), pick them, or load the bundled demo. */
export function DropZone() {
  const openFiles = useApp((s) => s.openFiles);
  const loadDemo = useApp((s) => s.loadDemo);
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  return (
    <div
      className={`dropzone ${over ? 'over' : ''}`}
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        void openFiles([...e.dataTransfer.files]);
      }}
    >
      <p>
        Drop an <b>.h5ad</b>, a 10x <b>.h5</b>, or a 10x folder's <b>matrix.mtx</b> + <b>features.tsv</b> + <b>barcodes.tsv</b> here.
        Files stay on this computer: nothing is uploaded.
      </p>
      <div className="actions">
        <button onClick={() => input.current?.click()}>Choose files…</button>
        <button onClick={() => void loadDemo()} data-testid="demo">
          Try the demo (PBMC, 700 cells)
        </button>
      </div>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        data-testid="drop-file-input"
        accept=".h5ad,.h5,.hdf5,.mtx,.gz,.tsv"
        onChange={(e) => {
          void openFiles([...(e.target.files ?? [])]);
          e.target.value = '';
        }}
      />
    </div>
  );
}
