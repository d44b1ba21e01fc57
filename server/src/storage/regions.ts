/**
 * Agora's region numbers for Amazon S3 (storage vendor 1) as AWS region names. Agora publishes the
 * table; docs/agora.md, "Storage", repeats it.
 */
export const AWS_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'sa-east-1',
  'ca-central-1',
  'ap-south-1',
  'cn-north-1',
  'cn-northwest-1',
  'us-gov-west-1',
  'af-south-1',
  'ap-east-1',
  'ap-northeast-3',
  'eu-north-1',
  'me-south-1',
  'us-gov-east-1',
  'ap-southeast-3',
  'eu-south-1',
];

/** Storage vendors by Agora's number, as people call them. */
export const VENDOR_NAMES: Record<number, string> = {
  0: 'Qiniu Cloud',
  1: 'Amazon S3',
  2: 'Alibaba Cloud',
  3: 'Tencent Cloud',
  4: 'Kingsoft Cloud',
  5: 'Microsoft Azure',
  6: 'Google Cloud',
  7: 'Huawei Cloud',
  8: 'Baidu AI Cloud',
  11: 'S3-compatible storage',
};
