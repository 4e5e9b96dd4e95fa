import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { installAutosave } from './session/autosave.ts';
import { encodeTokens } from './store.ts';
import './styles.css';

(globalThis as unknown as { __scweb: unknown }).__scweb = { encodeTokens };
installAutosave();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
