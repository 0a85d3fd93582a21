/**
 * Fake secrets in the real formats, assembled at run time so that no
 * secret scanner reading this repository mistakes the sources for a leak.
 * None of them is a live credential.
 */
const join = (...parts: string[]) => parts.join('');

export const FAKE = {
  awsAccessKey: join('AK', 'IA', 'Z7QX4RTEB2W6NMK3'),
  /** AWS's own documentation example: must not count. */
  awsExample: join('AK', 'IA', 'IOSFODNN7', 'EXAMPLE'),
  githubClassic: join('gh', 'p_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'),
  githubFineGrained: join('github', '_pat_', '11ABCDEFG0123456789xyz', '_', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvW'),
  slackToken: join('xo', 'xb-', '1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUv'),
  npmToken: join('np', 'm_', 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'),
  privateKeyPem: join('-----BEGIN ', 'RSA PRIVATE KEY-----\n', 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n', 'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n', '-----END ', 'RSA PRIVATE KEY-----\n'),
  privateKeyOpenssh: join('-----BEGIN ', 'OPENSSH PRIVATE KEY-----\n', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n', '-----END ', 'OPENSSH PRIVATE KEY-----\n'),
  password: 'hunter2-Correct-Horse',
};
