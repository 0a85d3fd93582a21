import { strict as assert } from 'node:assert';
import { builderOf, historySteps, instructionOf } from '../../../../src/core/image/history';

describe('history', () => {
  const cases: Array<[string, string | undefined, string, string]> = [
    ['/bin/sh -c #(nop)  ENV A=b', undefined, 'ENV A=b', 'classic'],
    ['/bin/sh -c #(nop) COPY file:3f2a1b2c3d4e5f60718293a4b5c6d7e8f9 in /var/www/html/ ', undefined, 'COPY file:3f2a1b2c3d4e… /var/www/html/', 'classic'],
    ['/bin/sh -c apt-get update &&     apt-get install -y apache2', undefined, 'RUN apt-get update && apt-get install -y apache2', 'classic'],
    ['|2 A=1 B=2 /bin/sh -c make', undefined, 'RUN make', 'classic'],
    ['RUN /bin/sh -c make install # buildkit', 'buildkit.dockerfile.v0', 'RUN make install', 'buildkit'],
    ['RUN |1 V=3 /bin/sh -c echo $V # buildkit', 'buildkit.dockerfile.v0', 'RUN echo $V', 'buildkit'],
    ['COPY docker/index.php /var/www/html/ # buildkit', 'buildkit.dockerfile.v0', 'COPY docker/index.php /var/www/html/', 'buildkit'],
    ['CMD ["apache2ctl" "-D" "FOREGROUND"]', 'buildkit.dockerfile.v0', 'CMD ["apache2ctl" "-D" "FOREGROUND"]', 'buildkit'],
    ['', 'Imported from -', 'IMPORT (docker import)', 'unknown'],
  ];
  for (const [createdBy, comment, instruction, builder] of cases) {
    it(`reads "${createdBy.slice(0, 40)}"`, () => {
      assert.equal(instructionOf(createdBy, comment), instruction);
      assert.equal(builderOf(createdBy, comment), builder);
    });
  }

  it('maps only non-empty history entries to layers, in order', () => {
    const steps = historySteps(
      {
        history: [
          { created_by: '', comment: 'Imported from -' },
          { created_by: '/bin/sh -c #(nop)  ENV A=b', empty_layer: true },
          { created_by: '/bin/sh -c echo hi > /x' },
          { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
          { created_by: '/bin/sh -c echo two > /y' },
        ],
      },
      3,
    );
    assert.deepEqual(steps.map((s) => s.layerIndex), [0, undefined, 1, undefined, 2]);
    assert.equal(steps[4].instruction, 'RUN echo two > /y');
  });

  it('leaves layers unexplained rather than misassigned when history is short', () => {
    const steps = historySteps({ history: [{ created_by: '/bin/sh -c a' }] }, 3);
    assert.deepEqual(steps.map((s) => s.layerIndex), [0]);
  });
});
