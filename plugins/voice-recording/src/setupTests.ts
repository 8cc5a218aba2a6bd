import '@testing-library/jest-dom';

// Rendering whole pages in jsdom is slow on a loaded 2-core machine.
jest.setTimeout(60_000);
