// The dashboard's lint: names that are not defined (a component dropped by
// an edit passes esbuild and fails only in a browser) and other mistakes
// ESLint finds without style opinions.
import globals from 'globals'

export default [
  { ignores: ['dist/'] },
  {
    files: ['src/**/*.{js,jsx}', 'build/**/*.js', 'build.js', 'test/**/*.js'],
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
      parserOptions: { ecmaFeatures: { jsx: true } },
      globals: { ...globals.browser, ...globals.node },
    },
    rules: {
      'no-undef': 'error',
    },
  },
]
