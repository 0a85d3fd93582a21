/** The package ecosystems read from image files; a leaf module, so that types naming them stay light (the webviews import them). */
export type Ecosystem = 'dpkg' | 'apk' | 'rpm' | 'python' | 'node';
export const ECOSYSTEMS: readonly Ecosystem[] = ['dpkg', 'apk', 'rpm', 'python', 'node'];
