/** What a printed contact card says besides the child's data: the same on the workbook and the PDF. */
export const CARD_ROLE_LABEL = { father: '父亲', mother: '母亲', guardian: '监护人' } as const;
export const CARD_NOTE = '每人用自己那一行的绑定码，请勿转给他人。';
export const CARD_NO_FAMILY = '（没有家长信息，请联系班主任）';
