// Published example payloads, copied from their specifications, with the CRC each publishes.
// They are test data, not output of Kinko's code.

/**
 * EMV QRCPS Merchant-Presented Mode v1.1, the specification’s example payload: two
 * merchant account templates (29, 31), Chinese names in the language template (64), the
 * amount (54) after the template, and an unreserved template (91). Published CRC A13A.
 */
export const EMVCO_EXAMPLE =
  '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678' +
  '520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京' +
  '540523.7253031565502016233030412340603***0708A60086670902ME' +
  '91320016A0112233449988770708123456786304A13A';

/**
 * Banco Central do Brasil, Manual de Padrões para Iniciação do Pix (BR Code), example of a
 * static payload: no point of initiation (01), MCC 0000. Published CRC 1D3D.
 */
export const PIX_EXAMPLE =
  '00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000' +
  '5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D';
