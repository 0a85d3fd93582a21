import { strict as assert } from 'node:assert';
import { layerTitle } from '../../../src/extension/views/labels';

describe('layerTitle', () => {
  it('shows where a classic-builder COPY or ADD went, not the hash of what it copied', () => {
    for (const [instruction, title] of [
      ['COPY file:37940827d962… /etc/apache2/conf-available/php-fcgid.conf', 'COPY → /etc/apache2/conf-available/php-fcgid.conf'],
      ['ADD dir:0123abcd… /app', 'ADD → /app'],
      ['COPY --chown=1000:1000 multi:feed… /srv/', 'COPY --chown=1000:1000 → /srv/'],
      ['COPY docker/index.php /var/www/html/', 'COPY docker/index.php /var/www/html/'],
      ['RUN apt-get update &&\n    apt-get install -y apache2', 'RUN apt-get update && apt-get install -y apache2'],
    ]) {
      assert.equal(layerTitle(instruction), title);
    }
  });

  it('cuts long instructions with an ellipsis', () => {
    const t = layerTitle(`RUN ${'x'.repeat(300)}`);
    assert.equal(t.length, 120);
    assert.ok(t.endsWith('…'));
  });
});
