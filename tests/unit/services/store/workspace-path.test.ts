import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { platformWorkspaceDir, resolveWorkspaceDir } from '../../../../src/services/store/workspace-path';

describe('default workspace (the desktop app\'s data folder)', () => {
  it('follows each platform\'s convention', () => {
    expect(platformWorkspaceDir('linux', {}, '/home/ada')).toBe('/home/ada/.local/share/nca-lab');
    expect(platformWorkspaceDir('linux', { XDG_DATA_HOME: '/data/ada' }, '/home/ada')).toBe('/data/ada/nca-lab');
    expect(platformWorkspaceDir('linux', { XDG_DATA_HOME: 'relative' }, '/home/ada')).toBe('/home/ada/.local/share/nca-lab');
    expect(platformWorkspaceDir('darwin', {}, '/Users/ada')).toBe('/Users/ada/Library/Application Support/nca-lab');
    expect(platformWorkspaceDir('win32', { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'C:\\Users\\ada'))
      .toBe(join('C:\\Users\\ada\\AppData\\Roaming', 'nca-lab'));
  });

  it('lets the flag win over NCA_LAB_WORKSPACE, which wins over the default', () => {
    expect(resolveWorkspaceDir('/tmp/ws-flag', { NCA_LAB_WORKSPACE: '/tmp/ws-env' })).toBe('/tmp/ws-flag');
    expect(resolveWorkspaceDir(undefined, { NCA_LAB_WORKSPACE: '/tmp/ws-env' })).toBe('/tmp/ws-env');
    expect(resolveWorkspaceDir('rel/ws', {})).toBe(resolve('rel/ws'));
  });
});
