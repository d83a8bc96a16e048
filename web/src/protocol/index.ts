export * from './leaf';
export * from './tree';
