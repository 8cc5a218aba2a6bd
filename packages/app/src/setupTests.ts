import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// Rendering whole pages in jsdom is slow on a busy 2-core machine: give tests and
// findBy*/waitFor more time than the defaults (5 s and 1 s).
jest.setTimeout(60_000);
configure({ asyncUtilTimeout: 15_000 });
