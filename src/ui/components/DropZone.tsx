import { useRef, useState } from 'react';
import { pickedFromInput, type Picked } from '../picked-files.ts';
import { useApp } from '../store.ts';

/** The folder picker: every file of the chosen folder, with its path inside it (webkitRelativePath). */
const FOLDER_PICKER = { webkitdirectory: '', directory: '' } as object;

/**
 * The empty page: drop files or folders (several datasets are joined into one, obs/sample naming
 * each cell's file), pick them, or load the bundled demo.
 */
export function DropZone() {
  const openFiles = useApp((s) => s.openFiles);
  const loadDemo = useApp((s) => s.loadDemo);
  const input = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const open = (p: Picked) => openFiles(p.files, { paths: p.paths });
  return (
    <div
      className={`dropzone ${over ? 'over' : ''}`}
      data-testid="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      // The drop itself bubbles to the page (App), which opens what was dropped anywhere on it.
      onDrop={() => setOver(false)}
    >
      <p>
        Drop an <b>.h5ad</b>, a 10x <b>.h5</b>, or a 10x folder (<b>matrix.mtx</b> + <b>features.tsv</b> + <b>barcodes.tsv</b>) here.
        Several files or folders (one per sample) open as one dataset, with <b>sample</b> naming each cell's file.
        Files stay on this computer: nothing is uploaded.
      </p>
      <div className="actions">
        <button onClick={() => input.current?.click()}>Choose files…</button>
        <button onClick={() => folder.current?.click()} title="a 10x folder, or a folder of samples (each an .h5ad, .h5 or 10x folder)" data-testid="choose-folder">
          Choose a folder…
        </button>
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
          void open(pickedFromInput(e.target.files));
          e.target.value = '';
        }}
      />
      <input
        ref={folder}
        type="file"
        hidden
        data-testid="folder-input"
        {...FOLDER_PICKER}
        onChange={(e) => {
          void open(pickedFromInput(e.target.files));
          e.target.value = '';
        }}
      />
    </div>
  );
}
