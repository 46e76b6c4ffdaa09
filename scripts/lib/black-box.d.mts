export function blackBoxTestFiles(root: string): string[];
