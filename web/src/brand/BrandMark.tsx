import { Group, Image, Text, ThemeIcon } from '@mantine/core';
import { useBrand } from './BrandProvider.tsx';

/** The logo (or a plain mark in the brand colour) and the product name. */
export function BrandMark({ size = 'md' }: { size?: 'md' | 'lg' }) {
  const { brand } = useBrand();
  const height = size === 'lg' ? 48 : 32;
  return (
    <Group gap="sm" wrap="nowrap" data-testid="brand-mark">
      {brand.logoUrl ? (
        <Image src={brand.logoUrl} alt={`${brand.productName} logo`} h={height} w="auto" fit="contain" />
      ) : (
        <ThemeIcon size={height} radius="md" aria-hidden="true">
          <svg viewBox="0 0 24 24" width={height * 0.6} height={height * 0.6} fill="currentColor" aria-hidden="true">
            <path d="M4 7a3 3 0 0 1 3-3h10a3 3 0 0 1 3 3v10a3 3 0 0 1-3 3H7a3 3 0 0 1-3-3V7Zm8 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6Z" />
          </svg>
        </ThemeIcon>
      )}
      <Text fw={700} size={size === 'lg' ? 'xl' : 'lg'} data-testid="product-name">
        {brand.productName}
      </Text>
    </Group>
  );
}
