/** The application menu: File → Quit, Edit (so copy/paste shortcuts work in text fields on macOS), View, Help → About. */
import { app, Menu, type MenuItemConstructorOptions } from 'electron';

export function installAppMenu(version: string): void {
  app.setAboutPanelOptions({
    applicationName: 'NCA Lab',
    applicationVersion: version,
    version,
    credits: 'Neural Cellular Automata trained with Evolution Strategies and Adam.',
    copyright: 'MIT License. Built-in target images: Noto Emoji, Apache-2.0.',
  });
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
    { label: 'File', submenu: [isMac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'forceReload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'help', submenu: [{ label: 'About NCA Lab', click: () => app.showAboutPanel() }] },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
