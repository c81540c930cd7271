// A stored secret's value as the console shows it: always the mask, whatever came back.
export const MASK = "********";
