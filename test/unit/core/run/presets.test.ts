import { strict as assert } from 'node:assert';
import { FileTree } from '../../../../src/core/layers/fileTree';
import type { FileEntry } from '../../../../src/core/image/model';
import { presetProbes, unionProbes } from '../../../../src/core/run/presets';

const file = (path: string): FileEntry => ({ path, type: 'file', mode: 0o755, uid: 0, gid: 0, size: 1 });
const link = (path: string, linkTarget: string): FileEntry => ({ path, type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, linkTarget });
const hasOf = (...layers: FileEntry[][]) => {
  const tree = FileTree.merge(layers);
  return (p: string) => tree.resolve(p) !== undefined;
};
const show = (probes: Array<{ name: string; command: string[] }>) => probes.map((p) => `${p.name}: ${p.command.join(' ')}`);

describe('presetProbes', () => {
  it('picks the Debian Apache + php-cgi image presets, following /etc/alternatives links', () => {
    const has = hasOf(
      [file('/usr/bin/env'), file('/usr/bin/id'), file('/usr/sbin/apache2ctl')],
      [link('/usr/bin/php-cgi', '/etc/alternatives/php-cgi'), link('/etc/alternatives/php-cgi', '/usr/bin/php-cgi8.2'), file('/usr/bin/php-cgi8.2')],
    );
    assert.deepEqual(show(presetProbes(has)), ['apache modules: apache2ctl -M', 'php modules: php-cgi -m', 'env: env', 'id: id']);
  });

  it('prefers the php CLI to php-cgi, and apache2ctl to apachectl', () => {
    const has = hasOf([file('/usr/bin/php'), file('/usr/bin/php-cgi'), file('/usr/sbin/apache2ctl'), file('/usr/local/apache2/bin/apachectl')]);
    assert.deepEqual(show(presetProbes(has)), ['apache modules: apache2ctl -M', 'php modules: php -m']);
  });

  it('asks pip only where pip is installed', () => {
    assert.deepEqual(show(presetProbes(hasOf([file('/usr/bin/python3')]))), ['python version: python3 --version']);
    assert.deepEqual(show(presetProbes(hasOf([file('/usr/local/bin/python3'), file('/usr/local/bin/pip')]))), ['python version: python3 --version', 'python packages: python3 -m pip freeze']);
  });

  it('nginx and node by their programs (not a java outside the usual bin folders); busybox gets env and id only', () => {
    assert.deepEqual(show(presetProbes(hasOf([file('/usr/sbin/nginx'), file('/usr/local/bin/node'), file('/opt/java/bin/java')]))), ['nginx build: nginx -V', 'node version: node --version']);
    assert.deepEqual(show(presetProbes(hasOf([file('/bin/busybox'), link('/bin/env', 'busybox'), link('/bin/id', 'busybox')]))), ['env: env', 'id: id']);
  });

  it('does not choose a preset for a dangling link', () => {
    assert.deepEqual(presetProbes(hasOf([link('/usr/bin/php', '/etc/alternatives/php')])), []);
  });
});

describe('unionProbes', () => {
  it('runs every command of both sides once, in catalogue order', () => {
    const a = [{ name: 'php modules', command: ['php-cgi', '-m'] }, { name: 'id', command: ['id'] }];
    const b = [{ name: 'apache modules', command: ['apache2ctl', '-M'] }, { name: 'php modules', command: ['php', '-m'] }, { name: 'id', command: ['id'] }];
    assert.deepEqual(show(unionProbes(a, b)), ['apache modules: apache2ctl -M', 'php modules: php-cgi -m', 'php modules (php): php -m', 'id: id']);
  });

  it('keeps unknown names after the catalogue, in the order given', () => {
    assert.deepEqual(show(unionProbes([{ name: 'z', command: ['z'] }], [{ name: 'env', command: ['env'] }, { name: 'y', command: ['y'] }])), ['env: env', 'z: z', 'y: y']);
  });
});
