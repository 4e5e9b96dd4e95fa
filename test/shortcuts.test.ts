// Which key does what in the explorer; fields keep their own keys (except Esc).
import { describe, expect, it } from 'vitest';
import { shortcutFor } from '../src/ui/shortcuts.ts';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe('keyboard shortcuts', () => {
  it('map keys to actions outside fields', () => {
    expect(shortcutFor(key('/'), false)).toBe('focusGeneSearch');
    expect(shortcutFor(key('l'), false)).toBe('toggleLasso');
    expect(shortcutFor(key('L', { shiftKey: true }), false)).toBe('toggleLasso');
    expect(shortcutFor(key('Escape'), false)).toBe('escape');
    expect(shortcutFor(key('z', { ctrlKey: true }), false)).toBe('undo');
    expect(shortcutFor(key('Z', { ctrlKey: true, shiftKey: true }), false)).toBe('redo');
    expect(shortcutFor(key('z', { metaKey: true }), false)).toBe('undo');
    expect(shortcutFor(key('?', { shiftKey: true }), false)).toBe('toggleHelp');
    expect(shortcutFor(key('x'), false)).toBeNull();
  });

  it('leave typing alone: letters, / and Ctrl+Z in a field belong to the field; Esc still works', () => {
    for (const k of ['/', 'l', '?']) expect(shortcutFor(key(k), true)).toBeNull();
    expect(shortcutFor(key('z', { ctrlKey: true }), true)).toBeNull();
    expect(shortcutFor(key('Escape'), true)).toBe('escape');
    expect(shortcutFor(key('l', { ctrlKey: true }), false)).toBeNull();
  });
});
